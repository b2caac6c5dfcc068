"""`tables local up|status|down` through the installed console script, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TABLES = str(Path(sys.executable).parent / "tables")


def tables(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TABLES_STATE_DIR": str(state)}
    return subprocess.run([TABLES, *args], capture_output=True, text=True, env=env, check=False, timeout=180)


@pytest.mark.parametrize("engine", ["moto", pytest.param("dynamodb-local", marks=pytest.mark.dynamodb_local)])
def test_up_status_down_manage_exactly_the_recorded_process(engine: str, tmp_path: Path) -> None:
    up = tables(tmp_path, "local", "up", "--engine", engine, "--port", "0", "--json")
    assert up.returncode == 0, up.stderr
    endpoint = json.loads(up.stdout)
    assert endpoint["url"].startswith("http://127.0.0.1:")
    record = json.loads((tmp_path / "endpoint.json").read_text())
    assert (record["engine"], record["pid"]) == (engine, endpoint["pid"])

    again = tables(tmp_path, "local", "up", "--engine", engine, "--port", "0", "--json")
    assert json.loads(again.stdout)["pid"] == endpoint["pid"]  # already running: the same one

    assert tables(tmp_path, "create", "--stack", "dev", "--local").returncode == 0
    status = tables(tmp_path, "local", "status")
    assert status.returncode == 0
    assert status.stdout.splitlines()[0] == f"{engine} endpoint at {endpoint['url']} (pid {endpoint['pid']})"
    assert status.stdout.splitlines()[-1] == "22 tables, 20 indexes, 0 items"

    assert tables(tmp_path, "seed", "--stack", "dev", "--local").returncode == 0
    migrate = tables(tmp_path, "migrate", "up", "--stack", "dev", "--local", "--json")
    assert migrate.returncode == 0, migrate.stderr
    [run] = json.loads(migrate.stdout)
    # moto applies PartiQL UPDATEs whatever their condition: the probe finds out, and the engine uses UpdateItem.
    assert (run["outcome"], run["writeApi"]) == ("succeeded", "update-item" if engine == "moto" else "batch-statement")
    assert run["counts"]["failed"] == 0 and run["counts"]["updated"] > 0

    down = tables(tmp_path, "local", "down")
    assert down.stdout == f"stopped {engine} at {endpoint['url']}\n"
    assert not Path(f"/proc/{endpoint['pid']}").exists() or \
        Path(f"/proc/{endpoint['pid']}/status").read_text().find("State:\tZ") >= 0
    after = tables(tmp_path, "local", "status")
    assert (after.returncode, after.stdout) == (1, "no local endpoint running (tables local up starts one)\n")
    assert tables(tmp_path, "local", "down").stdout == "no local endpoint running\n"


def test_up_on_a_busy_port_is_one_clear_error(tmp_path: Path) -> None:
    import socket
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = tables(tmp_path, "local", "up", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr == (f"ERROR [PortInUse]: 127.0.0.1:{port} is already in use; pass --port N "
                             "(or 0 for a free port)\n")
