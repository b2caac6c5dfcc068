# The `tables` command with the project it works on, for running data migrations as batch jobs
# (docs/migrations.md, "Fanning out across machines"):
#   docker build -t dynamodb-tables .
#   docker run --rm -e AWS_REGION=us-east-1 dynamodb-tables migrate status --stack prod
# The command finds its project from the working directory, as pulumi does, so the stack files and
# migrations/ sit in WORKDIR beside the sources pip installs from. The image holds no AWS
# credentials: boto3 takes them from the job's role (or from the environment docker run passes).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/dynamodb-tables

# What pip builds the package from (pyproject.toml: components, scripts and policies) and what the
# command reads at run time from the project root: Pulumi.yaml, every stack file, migrations/.
COPY pyproject.toml requirements.txt Pulumi.yaml Pulumi.*.yaml ./
COPY components/ components/
COPY scripts/ scripts/
COPY policies/ policies/
COPY migrations/ migrations/

# requirements.txt pins the versions CI tests with. As constraints it fixes the versions of the runtime
# dependencies without installing the rest (pulumi, moto, which only policy-check and local need);
# pip takes no extras in a constraints file, so they are stripped.
RUN sed -E 's/\[[^]]*\]//' requirements.txt > /tmp/constraints.txt \
    && pip install --constraint /tmp/constraints.txt . \
    && rm -rf /tmp/constraints.txt build ./*.egg-info \
    && useradd --system --uid 10001 --user-group --create-home tables

USER tables

# Exec form: `tables` is the process that receives SIGTERM (AWS Batch's stop, a spot notice), saves
# its checkpoints, releases its leases and exits 143.
ENTRYPOINT ["tables"]
CMD ["--help"]
