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

from scripts.errors import ToolError

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
        return session

    def client(self, **overrides: Any) -> DynamoDBClient:
        return self.session().client("dynamodb", endpoint_url=self.endpoint_url, config=self.config(**overrides))

    def resource(self, **overrides: Any) -> DynamoDBServiceResource:
        """The resource layer, for batch_writer; same session, endpoint and retry settings."""
        return self.session().resource("dynamodb", endpoint_url=self.endpoint_url, config=self.config(**overrides))

    def config(self, **overrides: Any) -> Config:
        return Config(
            retries={"mode": overrides.pop("retry_mode", self.retry_mode),
                     "max_attempts": overrides.pop("max_attempts", self.max_attempts)},
            connect_timeout=overrides.pop("connect_timeout", 5),
            read_timeout=overrides.pop("read_timeout", 60),
            max_pool_connections=overrides.pop("max_pool_connections", 10),
            parameter_validation=overrides.pop("parameter_validation", True),
        )


def endpoint_of(client: DynamoDBClient) -> str:
    return str(client.meta.endpoint_url)


def table_not_found(table: str, client: DynamoDBClient) -> ToolError:
    """The one wording of a missing table, everywhere: which table, at which endpoint."""
    return ToolError("TableNotFound", f"table '{table}' does not exist at {endpoint_of(client)}")


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
        return ToolError("EndpointUnreachable", f"could not connect to {url}; is the endpoint running? "
                                                "(tables local up starts one)")
    if isinstance(error, botocore_errors.ClientError):
        code = error_code(error) or "ClientError"
        message = error.response.get("Error", {}).get("Message", str(error))
        if code == "ResourceNotFoundException":
            return ToolError("TableNotFound", f"{where}: {message}")
        if code in ("UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException"):
            return ToolError("InvalidCredentials", f"{where}: {message}")
        return ToolError(code, f"{where}: {message}")
    return None
