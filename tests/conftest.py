"""Real local DynamoDB endpoints for the tests, started once per session on 127.0.0.1.

They are started by the same code as `tables local up` (scripts/local_endpoint.py), with a private
state directory so a developer's own `tables local up` is never touched.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts import local_endpoint
from scripts.local_endpoint import Endpoint
from tests.project import PROJECT, PROJECT_DIR

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
               "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tables-state")
    os.environ[local_endpoint.STATE_DIR_ENV] = str(path)
    return path


def _serve(engine: str, **options: Any) -> Iterator[Endpoint]:
    endpoint = local_endpoint.start(PROJECT, engine, port=0, record=False, **options)
    assert endpoint.url.startswith("http://127.0.0.1:")
    try:
        yield endpoint
    finally:
        local_endpoint.stop(endpoint)


@pytest.fixture(scope="session")
def moto(state_dir: Path) -> Iterator[Endpoint]:
    yield from _serve("moto")


@pytest.fixture(scope="session")
def dynamodb_local(state_dir: Path) -> Iterator[Endpoint]:
    # Holds new indexes in CREATING for a while, as AWS does, so the GSI lifecycle can be observed.
    yield from _serve("dynamodb-local", delay_transient_statuses=True)


@pytest.fixture
def own_dynamodb_local(state_dir: Path) -> Iterator[Endpoint]:
    """A DynamoDB Local of the test's own, for tests that write 20,000 items with a stream on and read
    the stream back: the shared one keeps the stream records of deleted tables and slows down under
    them (seen here: a 20,000-item load that took seconds took over five minutes after two such tests)."""
    yield from _serve("dynamodb-local")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Placeholder credentials, and no AWS config files or endpoint variables from the machine."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    return CREDENTIALS


def client_for(endpoint: Endpoint) -> Any:
    return local_endpoint.local_client(endpoint.url)


def delete_all_tables(client: Any) -> None:
    for name in client.list_tables()["TableNames"]:
        client.update_table(TableName=name, DeletionProtectionEnabled=False)
        client.delete_table(TableName=name)
        client.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})


def add_stray_index(client: Any, table: str) -> None:
    """An index someone added by hand to the shops table (on `plan`), as add-gsi would send it: with all
    attribute definitions, since moto replaces the list where DynamoDB merges it."""
    client.update_table(TableName=table, AttributeDefinitions=[
                            {"AttributeName": "domain", "AttributeType": "S"},
                            {"AttributeName": "plan", "AttributeType": "S"}],
                        GlobalSecondaryIndexUpdates=[{"Create": {
                            "IndexName": "stray-index",
                            "KeySchema": [{"AttributeName": "plan", "KeyType": "HASH"}],
                            "Projection": {"ProjectionType": "KEYS_ONLY"}}}])


@pytest.fixture
def moto_client(moto: Endpoint) -> Iterator[Any]:
    """A client on the shared moto server, which starts each test with no tables."""
    client = client_for(moto)
    delete_all_tables(client)
    yield client


@pytest.fixture(autouse=True)
def in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each test from the project root, where a user runs `tables`, whatever pytest's own cwd."""
    monkeypatch.chdir(PROJECT_DIR)


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt in this process, as in a terminal: a suite started in the background
    by a non-interactive shell (`make test &`) inherits SIGINT ignored, and a SIGINT test would then fail."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def with_default_sigint() -> None:
    """preexec_fn for a child that a test interrupts with SIGINT: Python installs its Ctrl-C handler only
    when SIGINT is not ignored, and a child inherits an ignored SIGINT from a background suite."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
