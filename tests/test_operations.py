"""A dead server is started again: `santegraph serve --supervise`, the systemd unit, the
compose file (issue #13: a crash killed the server and nothing restarted it).

The supervisor test runs a real `santegraph serve --supervise` on a free loopback port,
kills the server process with SIGKILL, and waits for the server to answer again.
"""

from __future__ import annotations

import configparser
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from santegraph.supervisor import NO_RESTART_CODES

from .conftest import BASE, MINI, ROOT, free_port, wait_for_http

UNIT = ROOT / "docs" / "systemd" / "santegraph.service"


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def health(base: str) -> dict:
    return requests.get(base + "/healthz", timeout=10).json()


def wait_for_restarts(base: str, count: int, process, timeout: float = 120.0) -> dict:
    """Until /healthz says the server was restarted ``count`` times (polling the event)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the supervisor exited ({process.returncode})"
        try:
            body = health(base)
            if body["restarts"] == count:
                return body
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"no server restarted {count} time(s) within {timeout} s")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux's /proc")
def test_the_supervisor_restarts_a_killed_server(tmp_path):
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "santegraph.cli",
        "--store-path",
        str(tmp_path / "store"),
        "--content-dir",
        str(MINI),
        "--base-iri",
        BASE,
        "--no-progress",
        "serve",
        "--port",
        str(port),
        "--supervise",
    ]
    log = (tmp_path / "supervisor.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/healthz", timeout=120, process=process)
        assert wait_for_restarts(base, 0, process)["status"] == "ok"
        (server,) = children(process.pid)
        os.kill(server, signal.SIGKILL)  # a crash, as the 5,000-deep JSON-LD was
        wait_for_restarts(base, 1, process)
        (new_server,) = children(process.pid)
        assert new_server != server
        query = requests.get(base + "/sparql", params={"query": "ASK {}"}, timeout=60)
        assert query.status_code == 200  # the store reopened, workers start again
        process.send_signal(signal.SIGTERM)  # a stop on purpose: no restart
        assert process.wait(timeout=60) == 0
        with pytest.raises(ProcessLookupError):
            os.kill(new_server, 0)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    assert "stopped (signal 9); restarting" in (tmp_path / "supervisor.log").read_text()


def test_a_configuration_error_is_not_restarted(tmp_path):
    """Exit code 2 would repeat itself: the supervisor returns it at once."""
    command = [sys.executable, "-m", "santegraph.cli", "--backend", "remote"]
    command += ["serve", "--supervise"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SANTEGRAPH_")}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, env=environment, cwd=tmp_path
    )
    assert done.returncode == 2
    assert "remote_query_url" in done.stderr and "restarting" not in done.stderr


def test_the_systemd_unit_restarts_the_server_on_failure():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(UNIT, encoding="utf-8")
    service = unit["Service"]
    assert service["ExecStart"].endswith("/.venv/bin/santegraph serve")
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == str(NO_RESTART_CODES[1])
    analyze = shutil.which("systemd-analyze")
    if analyze:
        done = subprocess.run([analyze, "verify", str(UNIT)], capture_output=True, text=True)
        problems = [
            line
            for line in (done.stdout + done.stderr).splitlines()
            if line.strip() and "is not executable" not in line  # not installed here
        ]
        assert problems == []


def test_compose_restarts_both_services():
    compose = (ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8")
    assert compose.count("restart: unless-stopped") == 2
