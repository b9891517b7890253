"""Shared fixtures for end-to-end tests: the real credvend binary, free ports,
and processes that are always stopped by PID when a test ends."""
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("CREDVEND_BIN", str(ROOT / ".build" / "debug" / "credvend"))


def pytest_configure(config):
    config.addinivalue_line("markers", "beside: long and mostly idle; scripts/e2e.sh runs these beside the rest")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


class Procs:
    """Starts processes and stops every one of them, by PID, at teardown."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []

    def start(self, args, env=None, name="proc", **kw) -> subprocess.Popen:
        log = open(self.tmp / f"{name}-{len(self.procs)}.log", "wb")
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        p = subprocess.Popen(args, stdout=kw.pop("stdout", log), stderr=kw.pop("stderr", log),
                             env=full_env, **kw)
        p.log_path = log.name
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=5)


@pytest.fixture
def procs(tmp_path):
    ps = Procs(tmp_path)
    yield ps
    ps.stop_all()


@pytest.fixture
def credvend_bin() -> str:
    assert os.access(BIN, os.X_OK), f"build credvend first: {BIN} missing"
    return BIN


@pytest.fixture
def issuer():
    """A JWKS issuer whose keys the test controls (tokens minted with joserfc)."""
    from e2elib import Issuer
    i = Issuer()
    yield i
    i.close()


@pytest.fixture
def sts():
    """A scripted STS for failures moto cannot produce."""
    from e2elib import FakeSTS
    s = FakeSTS()
    yield s
    s.close()


@pytest.fixture
def moto(procs, tmp_path):
    """moto_server as a real, signature-checking STS."""
    from e2elib import Moto
    return Moto(procs, tmp_path)
