"""A stop or a reload sent the moment `listening on` is printed (what a script or a
supervisor does) is handled: the signals are trapped before that line, so SIGTERM is a
graceful stop with exit 0 and an early SIGHUP does not kill the server."""
import signal
import subprocess

import pytest

from conftest import BIN


def started_until_listening(args: list[str], tmp_path) -> subprocess.Popen:
    proc = subprocess.Popen([BIN, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, cwd=tmp_path)
    for _ in range(200):  # bounded: the line comes within a few seconds
        line = proc.stderr.readline()
        if not line or line.startswith(b"listening on "):
            break
    assert line.startswith(b"listening on "), line
    return proc


def stopped(proc: subprocess.Popen) -> int:
    try:
        proc.stderr.read()  # drain, so the server never blocks on a full pipe
        return proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()


COMMANDS = {
    "dev-idp": ["dev-idp", "--listen", "127.0.0.1:0", "--clients", "{clients}", "--key", "{key}"],
    "serve": ["serve", "--listen", "127.0.0.1:0", "--db", "{db}", "--jwks-file", "{jwks}", "--issuer",
              "https://issuer.test", "--sts-endpoint", "http://127.0.0.1:9"],
}


def command(name: str, tmp_path) -> list[str]:
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}')
    clients = tmp_path / "clients.json"
    clients.write_text('[{"client_id": "client-a", "client_secret": "s3cret-a", "scopes": []}]')
    return [a.format(db=tmp_path / "db", jwks=jwks, clients=clients, key=tmp_path / "idp-key.pem")
            for a in COMMANDS[name]]


@pytest.mark.parametrize("name", ["dev-idp", "serve"])
def test_sigterm_right_after_listening_is_a_graceful_stop(name, tmp_path):
    for _ in range(5):
        proc = started_until_listening(command(name, tmp_path), tmp_path)
        proc.send_signal(signal.SIGTERM)
        assert stopped(proc) == 0


def test_sighup_right_after_listening_does_not_kill_serve(tmp_path):
    for _ in range(5):
        proc = started_until_listening(command("serve", tmp_path), tmp_path)
        proc.send_signal(signal.SIGHUP)
        proc.send_signal(signal.SIGTERM)
        assert stopped(proc) == 0
