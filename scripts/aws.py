"""boto3 sessions and DynamoDB clients for the `tables` command, and the translation of AWS errors.

Retries are botocore's own (standard or adaptive mode, with jitter); nothing here loops by hand.
`--endpoint-url` wins; otherwise boto3 honours AWS_ENDPOINT_URL_DYNAMODB by itself.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import botocore.exceptions as botocore_errors
from botocore.config import Config

from scripts.errors import ToolError, one_line

if TYPE_CHECKING:
    # boto3-stubs is a development dependency: the real client type exists for the type checker only.
    from mypy_boto3_dynamodb import DynamoDBClient, DynamoDBServiceResource
    from mypy_boto3_dynamodb.type_defs import TableDescriptionTypeDef
else:
    DynamoDBClient = DynamoDBServiceResource = TableDescriptionTypeDef = Any

logger = logging.getLogger(__name__)

# Tables are independent and each costs a few calls, so table-wide commands work on this many at once.
PARALLEL_TABLES = 8


def error_code(error: botocore_errors.ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@dataclass(frozen=True)
class Connection:
    """Where and how to reach DynamoDB: what every subcommand's common flags describe."""

    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    retry_mode: str = "standard"
    max_attempts: int = 5

    def session(self) -> boto3.session.Session:
        # botocore reads AWS_DEFAULT_REGION and the profile; AWS_REGION (set by Lambda and most
        # other SDKs) is honoured here too.
        region = self.region or os.environ.get("AWS_REGION")
        try:
            session = boto3.session.Session(profile_name=self.profile, region_name=region)
        except botocore_errors.ProfileNotFound:
            raise ToolError("ProfileNotFound", f"AWS profile '{self.profile}' is not in the AWS config files") from None
        if session.region_name is None:
            raise ToolError("NoRegion", "no AWS region: pass --region or set AWS_REGION or AWS_DEFAULT_REGION")
        if self.endpoint_url is None and not os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
            known = set()
            for partition in session.get_available_partitions():
                known |= set(session.get_available_regions("dynamodb", partition_name=partition))
            if known and session.region_name not in known:
                raise ToolError("UnknownRegion", f"region {session.region_name!r} is not a region DynamoDB runs in "
                                                 f"(e.g. us-east-1, eu-west-1); check --region, AWS_REGION or the "
                                                 "profile", where=session.region_name)
        return session

    def client(self, **overrides: Any) -> DynamoDBClient:
        client = self.session().client("dynamodb", endpoint_url=self.endpoint_url, config=self.config(**overrides))
        guard_responses(client)
        return client

    def resource(self, **overrides: Any) -> DynamoDBServiceResource:
        """The resource layer, for batch_writer; same session, endpoint and retry settings."""
        resource = self.session().resource("dynamodb", endpoint_url=self.endpoint_url,
                                           config=self.config(**overrides))
        guard_responses(resource.meta.client)
        return resource

    def config(self, **overrides: Any) -> Config:
        return Config(
            retries={"mode": overrides.pop("retry_mode", self.retry_mode),
                     "max_attempts": overrides.pop("max_attempts", self.max_attempts)},
            connect_timeout=overrides.pop("connect_timeout", 5),
            read_timeout=overrides.pop("read_timeout", 60),
            max_pool_connections=overrides.pop("max_pool_connections", 10),
            parameter_validation=overrides.pop("parameter_validation", True),
        )


def guard_responses(client: DynamoDBClient) -> None:
    """Refuse any answer that is not DynamoDB's JSON, before botocore parses it.

    A web server, a proxy's error page or a wrong port answers with HTML; botocore would report it
    as a missing field or a bare status code. This says what happened in one line instead, and never
    prints the body.
    """
    def check(response_dict: dict[str, Any], operation_model: Any, **_: Any) -> None:
        content_type = str(response_dict.get("headers", {}).get("content-type", ""))
        status = int(response_dict.get("status_code") or 0)
        # 5xx answers go on to botocore's retries, and then to translate(): never their body either.
        if "json" not in content_type and status < 500:
            raise ToolError("NotDynamoDB", f"{endpoint_of(client)} answered {operation_model.name} with HTTP "
                                           f"{status} ({content_type or 'no content type'}), not a DynamoDB response; "
                                           "check --endpoint-url", where=endpoint_of(client))

    client.meta.events.register("before-parse.dynamodb.*", check)


def endpoint_of(client: DynamoDBClient) -> str:
    return str(client.meta.endpoint_url)


def table_not_found(table: str, client: DynamoDBClient) -> ToolError:
    """The one wording of a missing table, everywhere: which table, at which endpoint."""
    return ToolError("TableNotFound", f"table '{table}' does not exist at {endpoint_of(client)}; check the name, or "
                                     "create the stack's tables first (pulumi up, or tables create)", where=table)


def find_table(client: DynamoDBClient, table: str) -> TableDescriptionTypeDef | None:
    """DescribeTable, or None when the table does not exist: the one place that tells the two apart."""
    try:
        return client.describe_table(TableName=table)["Table"]
    except botocore_errors.ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise


def describe_table(client: DynamoDBClient, table: str) -> TableDescriptionTypeDef:
    """DescribeTable, with a missing table reported as one TableNotFound line naming it."""
    found = find_table(client, table)
    if found is None:
        raise table_not_found(table, client)
    return found


def translate(error: Exception, where: str) -> ToolError | None:
    """A ToolError for an AWS/botocore error, or None when the error is not one we explain."""
    if isinstance(error, ToolError):
        return error
    if isinstance(error, botocore_errors.NoCredentialsError | botocore_errors.PartialCredentialsError):
        return ToolError("NoCredentials", f"no AWS credentials for {where}: set AWS_ACCESS_KEY_ID and "
                                          "AWS_SECRET_ACCESS_KEY, or pass --profile")
    if isinstance(error, botocore_errors.EndpointConnectionError | botocore_errors.ConnectTimeoutError):
        url = getattr(error, "kwargs", {}).get("endpoint_url", where)
        if ".amazonaws.com" in str(url):
            return ToolError("EndpointUnreachable", f"could not connect to {url}; check the network, and the region "
                                                    "(--region, AWS_REGION)", where=str(url))
        return ToolError("EndpointUnreachable", f"could not connect to {url}; is the endpoint running? "
                                                "(tables local up starts one)", where=str(url))
    if isinstance(error, botocore_errors.ClientError):
        code = error_code(error) or "ClientError"
        message = one_line(str(error.response.get("Error", {}).get("Message", "")))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        operation = getattr(error, "operation_name", "the request")
        if code.isdigit() or code == "ClientError":
            # No DynamoDB error code: the server (or something in front of it) failed on its own.
            return ToolError("ServerError", f"{where}: {operation} failed with HTTP {status}"
                                            f"{f' ({message})' if message and len(message) < 80 else ''}; "
                                            "try again, or check the endpoint", where=where)
        if code == "ResourceNotFoundException":
            return ToolError("TableNotFound", f"{where}: {operation}: {message}", where=where)
        if code in ("UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException"):
            return ToolError("InvalidCredentials", f"{where}: {message}", where=where)
        return ToolError(code, f"{where}: {operation}: {message}", where=where)
    if isinstance(error, botocore_errors.BotoCoreError):
        return ToolError(type(error).__name__, f"{where}: {one_line(str(error))}", where=where)
    return None
