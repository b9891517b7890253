"""`make demo-tls` end to end: scripts/demo-tls.sh against the binary under test, within
a bounded time. The script checks each outcome itself (it exits non-zero otherwise);
this test also reads its key lines and checks that it left nothing listening."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess

from conftest import BIN, ROOT

TIMEOUT = 300


def run_demo() -> subprocess.CompletedProcess:
    """Runs the script in a session of its own, so a timeout stops the script and
    every process it started (its process group, by the script's PID)."""
    p = subprocess.Popen([str(ROOT / "scripts" / "demo-tls.sh")], cwd=ROOT, env={**os.environ, "CREDVEND_BIN": BIN},
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate(timeout=30)
        raise AssertionError(f"demo-tls.sh still running after {TIMEOUT}s:\n{out}\n{err}")
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def test_demo_tls_vends_over_mtls_and_refuses_the_stolen_token():
    r = run_demo()
    out = r.stdout
    assert r.returncode == 0, out + r.stderr
    assert "device-1: credentials obtained over mTLS" in out
    assert re.search(r'"AccessKeyId": "ASIA\w+"', out), out
    assert re.search(r'"SecretAccessKey": "<\d+ characters, not shown>"', out), out
    assert re.search(r"boto3 sts get-caller-identity: arn:aws:sts::\d+:assumed-role/", out), out
    assert "with device-1's certificate: HTTP 200" in out
    stolen = re.search(r"with device-2's certificate: HTTP (\d+) (\{.*\})", out)
    assert stolen and stolen.group(1) == "401", out
    assert '"invalid_token"' in stolen.group(2) and "different client certificate" in stolen.group(2)
    assert "stolen token refused" in out and "plain HTTP refused" in out
    assert re.search(r'credvend_tls_handshakes_total\{outcome="ok"\} [1-9]', out), out
    assert re.search(r'credvend_tls_handshakes_total\{outcome="client_cert_missing"\} [1-9]', out), out
    # Everything it started is stopped: its server's port no longer answers.
    port = int(re.search(r"server at https://localhost:(\d+)", out).group(1))
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the demo's server still listens"
