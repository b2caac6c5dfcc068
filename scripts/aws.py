"""boto3 sessions and DynamoDB clients for the `tables` command, and the translation of AWS errors.

Retries are botocore's own (standard or adaptive mode, with jitter); nothing here loops by hand.
`--endpoint-url` wins; otherwise boto3 honours AWS_ENDPOINT_URL_DYNAMODB by itself.
"""

from __future__ import annotations

import http
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

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
T = TypeVar("T")
R = TypeVar("R")

# Tables are independent and each costs a few calls, so table-wide commands work on this many at once.
PARALLEL_TABLES = 8

# How long one request may wait for DynamoDB, retries included (--request-timeout). DynamoDB answers in
# milliseconds and a Scan page of 1 MB in well under a second, so 30 s is an endpoint that is not
# answering, and a user hears so within a minute. Connecting takes at most 10 s of it.
DEFAULT_REQUEST_TIMEOUT = 30.0
REQUEST_TIMEOUT_RANGE = (1.0, 300.0)
MAX_CONNECT_TIMEOUT = 10.0


def parallel_map(work: Callable[[T], R], items: Iterable[T], workers: int = PARALLEL_TABLES) -> list[R]:
    """`work` over `items` on `workers` threads, results in order. The first error, Ctrl-C or SIGTERM
    returns at once: work not started is cancelled, and requests in flight are not waited for (they
    end within --request-timeout, and an interrupted command exits without them)."""
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        return list(pool.map(work, items))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


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
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT

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
        bound_retries(client, self.request_timeout)
        return client

    def resource(self, **overrides: Any) -> DynamoDBServiceResource:
        """The resource layer, for batch_writer; same session, endpoint and retry settings."""
        resource = self.session().resource("dynamodb", endpoint_url=self.endpoint_url,
                                           config=self.config(**overrides))
        guard_responses(resource.meta.client)
        bound_retries(resource.meta.client, self.request_timeout)
        return resource

    def config(self, **overrides: Any) -> Config:
        return Config(
            retries={"mode": overrides.pop("retry_mode", self.retry_mode),
                     "max_attempts": overrides.pop("max_attempts", self.max_attempts)},
            connect_timeout=overrides.pop("connect_timeout", min(self.request_timeout, MAX_CONNECT_TIMEOUT)),
            read_timeout=overrides.pop("read_timeout", self.request_timeout),
            max_pool_connections=overrides.pop("max_pool_connections", 10),
            parameter_validation=overrides.pop("parameter_validation", True),
        )


def guard_responses(client: DynamoDBClient) -> None:
    """Refuse any answer that is not DynamoDB's JSON, in one line that names the operation and the
    endpoint and never prints the body.

    A web server, a proxy's error page or a wrong port answers with HTML, and a broken or hostile one
    with anything at all under a JSON content type; botocore would report the first as a missing field
    or a bare status code, and parse the second into an empty or ill-typed result that fails later as a
    KeyError far from its cause. Before parsing, the content type and the body's first byte are checked;
    after it, the members the operation's output shape declares are checked for their types, and the
    ones the tools read (REQUIRED_OUTPUT) for their presence.
    """
    def before_parse(response_dict: dict[str, Any], operation_model: Any, **_: Any) -> None:
        content_type = str(response_dict.get("headers", {}).get("content-type", ""))
        status = int(response_dict.get("status_code") or 0)
        # 5xx answers go on to botocore's retries, and then to translate(): never their body either.
        if status >= 500:
            return
        if "json" not in content_type:
            raise not_dynamodb(client, operation_model.name, status, content_type or "no content type")
        body = response_dict.get("body") or b""
        if status >= 300 or not isinstance(body, bytes):
            return
        if not body.strip():
            document: Any = {}  # an empty answer is botocore's {} (TagResource may answer so); checked below
        elif operation_model.name in ITEM_OPERATIONS:
            # Pages of items: parsed once, by botocore. Only their first byte is checked here.
            if not body.lstrip().startswith(b"{"):
                raise not_dynamodb(client, operation_model.name, status, "a body that is not a JSON object")
            return
        else:
            try:
                document = json.loads(body)
            except ValueError:
                document = None
        if not isinstance(document, dict):
            raise not_dynamodb(client, operation_model.name, status, "a body that is not a JSON object")
        problem = shape_problem(document, operation_model.output_shape, REQUIRED_OUTPUT.get(operation_model.name, ()))
        if problem:
            raise not_dynamodb(client, operation_model.name, status, problem)

    def after_call(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        status = int(getattr(http_response, "status_code", 0) or 0)
        if status >= 300 or model.name not in ITEM_OPERATIONS:
            return
        problem = shape_problem(parsed, None, REQUIRED_OUTPUT.get(model.name, ()))
        if problem:
            raise not_dynamodb(client, model.name, status, problem)

    client.meta.events.register("before-parse.dynamodb.*", before_parse)
    client.meta.events.register("after-call.dynamodb.*", after_call)


# Operations whose answers carry items: large, and parsed by botocore alone (see guard_responses).
ITEM_OPERATIONS = frozenset({"Scan", "Query", "GetItem", "BatchGetItem", "PutItem", "UpdateItem", "DeleteItem",
                             "BatchWriteItem", "TransactGetItems", "TransactWriteItems", "ExecuteStatement",
                             "BatchExecuteStatement", "ExecuteTransaction"})

# The members of an answer the tools read without a default: an answer without them is not DynamoDB's.
REQUIRED_OUTPUT: dict[str, tuple[str, ...]] = {
    "DescribeTable": ("Table", "Table.TableName", "Table.KeySchema", "Table.TableStatus"),
    "CreateTable": ("TableDescription",),
    "UpdateTable": ("TableDescription",),
    "DeleteTable": ("TableDescription",),
    "RestoreTableToPointInTime": ("TableDescription",),
    "ListTables": ("TableNames",),
    "DescribeTimeToLive": ("TimeToLiveDescription",),
    "DescribeContinuousBackups": ("ContinuousBackupsDescription",),
    "Scan": ("Count",),
    "Query": ("Count",),
}

# Each output member's type as it arrives in DynamoDB's JSON (botocore's JSON protocol: timestamps are
# epoch seconds, blobs base64 text), before botocore converts it.
_JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "structure": dict, "map": dict, "list": list, "string": str, "boolean": bool, "integer": int, "long": int,
    "double": (int, float), "float": (int, float), "blob": str, "timestamp": (int, float, str),
}


def shape_problem(document: dict[str, Any], shape: Any, required: tuple[str, ...]) -> str:
    """What makes an answer unlike the operation's output shape ('' when nothing does): a member of the
    wrong JSON type (structures checked three levels deep), or one the tools read missing."""
    def check(value: dict[str, Any], structure: Any, path: str, depth: int) -> str:
        for name, member in structure.members.items():
            if name not in value or value[name] is None:
                continue
            expected = _JSON_TYPES.get(member.type_name)
            if expected is not None and not isinstance(value[name], expected):
                return f"{path}{name} is {type(value[name]).__name__}, not {member.type_name}"
            if member.type_name == "structure" and depth < 3:
                found = check(value[name], member, f"{path}{name}.", depth + 1)
                if found:
                    return found
        return ""

    if shape is not None:
        found = check(document, shape, "", 1)
        if found:
            return found
    for path in required:
        value: Any = document
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return f"no {path}"
    return ""


def not_dynamodb(client: DynamoDBClient, operation: str, status: int, what: str) -> ToolError:
    return ToolError("NotDynamoDB", f"{endpoint_of(client)} answered {operation} with HTTP {status} ({what}), not a "
                                    "DynamoDB response; check --endpoint-url", where=endpoint_of(client))


def bound_retries(client: DynamoDBClient, timeout: float) -> None:
    """No request waits longer than `timeout` seconds in all: botocore retries a timed-out or dropped
    request with backoff (standard mode), which against an endpoint that never answers adds up to
    minutes. Once a request has waited its time, the next retry is not made and the wait is one line."""
    def start(context: dict[str, Any], **_: Any) -> None:
        context["tables_started"] = time.monotonic()

    def stop_when_late(caught_exception: Exception | None, request_dict: dict[str, Any], operation: Any,
                       **_: Any) -> None:
        if caught_exception is None:
            return
        started = request_dict.get("context", {}).get("tables_started")
        if started is None or time.monotonic() - started < timeout:
            return
        if isinstance(caught_exception, botocore_errors.EndpointConnectionError) and not isinstance(
                caught_exception, botocore_errors.ConnectTimeoutError):
            return  # refused outright: translate() says "could not connect"
        raise ToolError("Timeout", f"{endpoint_of(client)} did not answer {operation.name} within {timeout:g} s "
                                   "(--request-timeout); check the endpoint, or allow more time",
                        where=endpoint_of(client)) from None

    client.meta.events.register("before-call.dynamodb.*", start)
    client.meta.events.register_first("needs-retry.dynamodb.*", stop_when_late)


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


def _reason(status: object) -> str:
    try:
        return f" ({http.HTTPStatus(int(str(status))).phrase})"
    except ValueError:
        return ""


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
        if code.isdigit() or code == "ClientError" or (isinstance(status, int) and status >= 500):
            # The server (or a proxy or load balancer in front of it) failed. Its body may be an error
            # page naming internal hosts: the line says the operation, the status and the endpoint, and
            # the status's standard reason phrase, never the body.
            return ToolError("ServerError", f"{where}: {operation} failed with HTTP {status}{_reason(status)}; "
                                            "try again, or check the endpoint", where=where)
        if code == "ResourceNotFoundException":
            return ToolError("TableNotFound", f"{where}: {operation}: {message}", where=where)
        if code in ("UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException"):
            return ToolError("InvalidCredentials", f"{where}: {message}", where=where)
        return ToolError(code, f"{where}: {operation}: {message}", where=where)
    if isinstance(error, botocore_errors.BotoCoreError):
        return ToolError(type(error).__name__, f"{where}: {one_line(str(error))}", where=where)
    return None
