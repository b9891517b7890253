"""The operator's plane against the real binary: the admin API on a Unix socket
and under /admin/ for bearer tokens, the audit log, and `credvend roles
--admin-url`. Servers listen on 127.0.0.1 and on sockets in private /tmp dirs."""
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

from adminlib import (TLSProxy, new_token, sha256_hex, short_tmpdir, tcp_http, token_file, unix_http,
                      write_private)
from e2elib import ACCOUNT, FakeSTS, Issuer, Serve, http, role, run_cli, wait_for_log

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seed-data" / "roles.json"
ARN_A = f"arn:aws:iam::{ACCOUNT}:role/app-a"
ARN_B = f"arn:aws:iam::{ACCOUNT}:role/app-b"
FAKE_SRC = {"AWS_ACCESS_KEY_ID": "AKIDADMINSOURCE01", "AWS_SECRET_ACCESS_KEY": "source-secret-never-shown"}
CID = "5h2k9q4w7e1r3t6y8u0i2o4pzz"


@pytest.fixture
def sockdir():
    d = short_tmpdir()
    yield d
    shutil.rmtree(d, ignore_errors=True)


class Tokens:
    def __init__(self, directory: Path):
        self.admin, self.reader = new_token(), new_token()
        self.file = token_file(directory / "admin-tokens", [("admin", self.admin), ("reader", self.reader)])
        self.admin_file = write_private(directory / "admin.token", self.admin + "\n")
        self.reader_file = write_private(directory / "reader.token", self.reader + "\n")


@pytest.fixture
def tokens(tmp_path):
    return Tokens(tmp_path)


def serve(procs, tmp_path, issuer, sts, *args, roles=None, **kw):
    return Serve(procs, tmp_path, issuer.url, sts.url,
                 roles if roles is not None else [role("client-a", ARN_A, server_name="edge-01")],
                 args=[str(a) for a in args], env=FAKE_SRC, **kw)


def serve_fails(tmp_path, issuer, *args):
    """Runs a `serve` that must refuse to start: (exit code, stderr)."""
    cmd = ["serve", "--listen", "127.0.0.1:0", "--db", str(tmp_path / "db-refused"), "--issuer", issuer.url,
           *[str(a) for a in args]]
    r = run_cli(*cmd, env=FAKE_SRC, timeout=30)
    assert "listening on" not in r.stderr, r.stderr
    return r.returncode, r.stderr


def record(cid, arn=ARN_A, **kw):
    return {"client_id": cid, "role_arn": arn, **kw}


def uid_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError("no Uid line")


# --- the Unix socket ---------------------------------------------------------

def test_socket_is_0600_from_the_start_owned_by_the_server_and_removed_on_stop(procs, tmp_path, issuer, sts, sockdir):
    sock = sockdir / "admin.sock"
    first_seen = {}

    def watch():  # the first time the path exists at all, it must already be private
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                first_seen["st"] = os.lstat(sock)
                return
            except FileNotFoundError:
                pass

    watcher = threading.Thread(target=watch)
    watcher.start()
    srv = serve(procs, tmp_path, issuer, sts, "--admin-socket", sock)
    watcher.join(timeout=35)
    first = first_seen["st"]
    assert stat.S_ISSOCK(first.st_mode) and stat.S_IMODE(first.st_mode) == 0o600
    st = os.stat(sock)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_uid == uid_of(srv.proc.pid) == os.geteuid()
    status, _, body = unix_http(sock, "GET", "/admin/v1/info")
    assert status == 200 and body["issuer"] == issuer.url
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=15) == 0
    assert not sock.exists()


def test_a_stale_socket_is_replaced(procs, tmp_path, issuer, sts, sockdir):
    sock = sockdir / "admin.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(sock))
    s.close()  # the file stays, nobody listens: a server that crashed
    assert stat.S_ISSOCK(os.lstat(sock).st_mode)
    serve(procs, tmp_path, issuer, sts, "--admin-socket", sock)
    assert unix_http(sock, "GET", "/admin/v1/roles")[0] == 200


def test_a_regular_file_or_missing_directory_is_refused_before_listening(tmp_path, issuer, sockdir):
    blocker = sockdir / "admin.sock"
    blocker.write_text("keep me")
    code, err = serve_fails(tmp_path, issuer, "--admin-socket", blocker)
    assert code != 0
    assert "--admin-socket" in err and "not a socket" in err, err
    assert blocker.read_text() == "keep me"
    code, err = serve_fails(tmp_path, issuer, "--admin-socket", sockdir / "missing" / "admin.sock")
    assert code != 0
    assert "--admin-socket" in err and "does not exist" in err, err


def test_without_admin_flags_there_is_no_admin_route(procs, tmp_path, issuer, sts, sockdir, tokens):
    plain = serve(procs, tmp_path, issuer, sts)
    for auth in (None, tokens.admin):
        st, _, body = tcp_http(plain.port, "GET", "/admin/v1/info", token=auth)
        assert st == 404 and body["error"] == "not_found"
    # The socket alone adds nothing to the main listener.
    socket_only = serve(procs, tmp_path, issuer, sts, "--admin-socket", sockdir / "a.sock")
    assert tcp_http(socket_only.port, "GET", "/admin/v1/roles", token=tokens.admin)[0] == 404


# --- roles over the socket and over tokens -----------------------------------

def crud(call):
    """PUT, GET, list, replace, DELETE and the refusals, through `call(method, target, body)`."""
    st, hdrs, body = call("PUT", f"/admin/v1/roles/{CID}", record(CID, server_name="edge-01"))
    assert st == 201, body
    assert hdrs.get("Cache-Control") == "no-store" and hdrs.get("X-Request-Id")
    assert body == {"client_id": CID, "role_arn": ARN_A, "server_name": "edge-01", "permission": "write",
                    "session_duration_s": 3600}
    assert call("GET", f"/admin/v1/roles/{CID}", None)[2] == body
    st, _, body = call("PUT", f"/admin/v1/roles/{CID}", record(CID, permission="full"))
    assert st == 200 and body["permission"] == "full" and "server_name" not in body
    st, _, listed = call("GET", "/admin/v1/roles", None)
    assert st == 200 and [r["client_id"] for r in listed] == [CID, "client-a"]
    # Exactly the validation of `credvend roles`: the field is named.
    st, _, err = call("PUT", f"/admin/v1/roles/{CID}", record(CID, bucket="Not_A_Bucket"))
    assert st == 400 and err["field"] == "bucket" and 'field "bucket"' in err["message"]
    st, _, err = call("PUT", f"/admin/v1/roles/{CID}", record("someone-else"))
    assert st == 400 and err["field"] == "client_id"
    st, _, err = call("PUT", f"/admin/v1/roles/{CID}", {"client_id": CID, "role_arn": ARN_A, "colour": "blue"})
    assert st == 400 and err["field"] == "colour"
    assert call("GET", f"/admin/v1/roles/{CID}", None)[2]["permission"] == "full"  # unchanged by the refusals
    assert call("DELETE", f"/admin/v1/roles/{CID}", None)[0] == 204
    for method in ("GET", "DELETE"):
        st, _, err = call(method, f"/admin/v1/roles/{CID}", None)
        assert st == 404 and err["error"] == "role_not_found", err
    st, hdrs, _ = call("POST", f"/admin/v1/roles/{CID}", record(CID))
    assert st == 405 and hdrs.get("Allow") == "GET, PUT, DELETE"
    assert call("GET", "/admin/v1/nothing", None)[0] == 404


def test_roles_crud_over_the_socket(procs, tmp_path, issuer, sts, sockdir):
    sock = sockdir / "admin.sock"
    serve(procs, tmp_path, issuer, sts, "--admin-socket", sock)
    crud(lambda m, t, b: unix_http(sock, m, t, b))


def test_roles_crud_over_bearer_tokens(procs, tmp_path, issuer, sts, tokens):
    srv = serve(procs, tmp_path, issuer, sts, "--admin-token-file", tokens.file)
    crud(lambda m, t, b: tcp_http(srv.port, m, t, b, token=tokens.admin))
    st, _, listed = tcp_http(srv.port, "GET", "/admin/v1/roles", token=tokens.reader)
    assert st == 200 and [r["client_id"] for r in listed] == ["client-a"]


def test_a_reader_that_writes_is_refused(procs, tmp_path, issuer, sts, tokens):
    srv = serve(procs, tmp_path, issuer, sts, "--admin-token-file", tokens.file)
    before = tcp_http(srv.port, "GET", "/admin/v1/roles", token=tokens.reader)[2]
    for method, target, body in [("PUT", "/admin/v1/roles/client-a", record("client-a", ARN_B)),
                                 ("PUT", f"/admin/v1/roles/{CID}", record(CID)),
                                 ("DELETE", "/admin/v1/roles/client-a", None),
                                 ("POST", "/admin/v1/roles:import?replace=true", [record(CID)])]:
        st, _, err = tcp_http(srv.port, method, target, body, token=tokens.reader)
        assert st == 403 and err["error"] == "forbidden", (method, target, err)
    assert tcp_http(srv.port, "GET", "/admin/v1/roles", token=tokens.admin)[2] == before


def test_missing_unknown_empty_and_last_byte_tokens_are_401(procs, tmp_path, issuer, sts, tokens):
    srv = serve(procs, tmp_path, issuer, sts, "--admin-token-file", tokens.file)
    last_byte = tokens.admin[:-1] + ("0" if tokens.admin[-1] != "0" else "1")
    cases = [None, {"Authorization": "Bearer "}, {"Authorization": "Bearer"},
             {"Authorization": f"Bearer {new_token()}"}, {"Authorization": f"Bearer {last_byte}"},
             {"Authorization": f"Bearer {tokens.admin[:-1]}"}, {"Authorization": f"Bearer {sha256_hex(tokens.admin)}"},
             {"Authorization": f"Basic {tokens.admin}"}]
    for headers in cases:
        for target in ("/admin/v1/roles", "/admin/v1/not-a-route"):  # authentication comes before routing
            st, hdrs, body = tcp_http(srv.port, "GET", target, headers=headers)
            assert st == 401, (headers, body)
            assert hdrs.get("WWW-Authenticate", "").startswith("Bearer"), hdrs
            assert body["error"] in ("unauthorized", "invalid_token")
    assert tcp_http(srv.port, "GET", "/admin/v1/roles", token=tokens.admin)[0] == 200


def test_a_bad_token_file_is_refused_at_start_with_its_line(tmp_path, issuer, tokens):
    os.chmod(tokens.file, 0o640)
    code, err = serve_fails(tmp_path, issuer, "--admin-token-file", tokens.file)
    assert code != 0 and "group or others" in err and "chmod 600" in err, err
    bad = write_private(tmp_path / "bad-tokens", f"# ok\nadmin {sha256_hex(tokens.admin)}\n\nreader {tokens.reader}\n")
    code, err = serve_fails(tmp_path, issuer, "--admin-token-file", bad)
    assert code != 0 and f"admin token file {bad}, line 4" in err, err
    assert tokens.reader not in err  # a pasted raw token is never repeated
    bad.write_text("superuser " + sha256_hex(tokens.admin) + "\n")
    code, err = serve_fails(tmp_path, issuer, "--admin-token-file", bad)
    assert code != 0 and "line 1" in err and "admin or reader" in err


def test_sighup_picks_up_a_new_token_file(procs, tmp_path, issuer, sts, tokens):
    srv = serve(procs, tmp_path, issuer, sts, "--admin-token-file", tokens.file)
    assert tcp_http(srv.port, "GET", "/admin/v1/info", token=tokens.admin)[0] == 200
    fresh = new_token()
    token_file(tokens.file, [("admin", fresh)])
    assert tcp_http(srv.port, "GET", "/admin/v1/info", token=fresh)[0] == 401  # not before SIGHUP
    srv.proc.send_signal(signal.SIGHUP)
    wait_for_log(srv.proc.log_path, re.compile(r"admin token file reloaded tokens=1"), proc=srv.proc)
    assert tcp_http(srv.port, "GET", "/admin/v1/info", token=fresh)[0] == 200
    assert tcp_http(srv.port, "GET", "/admin/v1/info", token=tokens.admin)[0] == 401
    # A broken file on the next SIGHUP is refused; the tokens in force stay.
    tokens.file.write_text("admin not-a-hash\n")
    srv.proc.send_signal(signal.SIGHUP)
    wait_for_log(srv.proc.log_path, re.compile(r"admin token file not reloaded.*line 1"), proc=srv.proc)
    assert tcp_http(srv.port, "GET", "/admin/v1/info", token=fresh)[0] == 200
    assert srv.proc.poll() is None


# --- changes reach vending on the next request -------------------------------

def test_a_changed_or_deleted_mapping_takes_effect_on_the_next_request(procs, tmp_path, issuer, sts, sockdir):
    sock = sockdir / "admin.sock"
    srv = serve(procs, tmp_path, issuer, sts, "--admin-socket", sock)
    token = issuer.mint("client-a")
    st, _, first = srv.vend(token)
    assert st == 200 and len(sts.calls) == 1 and sts.calls[-1]["form"]["RoleArn"] == ARN_A
    assert srv.vend(token)[2]["AccessKeyId"] == first["AccessKeyId"] and len(sts.calls) == 1  # cached

    assert unix_http(sock, "PUT", "/admin/v1/roles/client-a", record("client-a", ARN_B, server_name="edge-01"))[0] == 200
    st, _, second = srv.vend(token)
    assert st == 200 and second["AccessKeyId"] != first["AccessKeyId"]
    assert len(sts.calls) == 2 and sts.calls[-1]["form"]["RoleArn"] == ARN_B

    # Back to the first mapping: its old credentials were dropped, not kept for later.
    assert unix_http(sock, "PUT", "/admin/v1/roles/client-a", record("client-a", ARN_A, server_name="edge-01"))[0] == 200
    st, _, third = srv.vend(token)
    assert st == 200 and third["AccessKeyId"] not in (first["AccessKeyId"], second["AccessKeyId"])
    assert len(sts.calls) == 3

    assert unix_http(sock, "DELETE", "/admin/v1/roles/client-a")[0] == 204
    st, _, err = srv.vend(token)
    assert st == 403 and err["error"] == "access_denied"
    assert len(sts.calls) == 3
    assert unix_http(sock, "GET", "/admin/v1/info")[2]["credential_cache"]["entries"] == 0


# --- info and logs -----------------------------------------------------------

def test_info_shows_issuer_key_ids_and_counts_and_no_secret(procs, tmp_path, issuer, sts, sockdir, tokens):
    sock = sockdir / "admin.sock"
    srv = serve(procs, tmp_path, issuer, sts, "--admin-socket", sock, "--admin-token-file", tokens.file)
    token = issuer.mint("client-a")
    assert srv.vend(token)[0] == 200
    st, hdrs, info = tcp_http(srv.port, "GET", "/admin/v1/info", token=tokens.reader)
    assert st == 200 and hdrs["Content-Type"] == "application/json"
    assert info["issuer"] == issuer.url
    assert info["version"] and isinstance(info["uptime_s"], int)
    assert info["jwks"]["key_ids"] == ["rsa-1"]
    assert info["jwks"]["source"] == "url" and info["jwks"]["location"] == issuer.url + "/.well-known/jwks.json"
    assert info["jwks"]["last_refresh_outcome"] == "success" and info["jwks"]["last_refresh_at"].endswith("Z")
    assert info["role_store"]["records"] == 1
    assert info["credential_cache"]["entries"] == 1
    assert info["source_credentials"] == {"loaded": True, "origin": "environment", "expiration": None}
    assert info["admin"] == {"socket": str(sock), "token_file": str(tokens.file), "tokens": 2}
    assert unix_http(sock, "GET", "/admin/v1/info")[2]["issuer"] == issuer.url
    text = json.dumps(info)
    for secret in (FAKE_SRC["AWS_SECRET_ACCESS_KEY"], FAKE_SRC["AWS_ACCESS_KEY_ID"], tokens.admin, tokens.reader,
                   token, "fake-secret", "fake-session"):
        assert secret not in text


def test_logs_returns_at_most_n_lines_and_no_token(procs, tmp_path, issuer, sts, tokens):
    srv = serve(procs, tmp_path, issuer, sts, "--admin-token-file", tokens.file)
    minted = [issuer.mint("client-a") for _ in range(3)] + [issuer.mint("nobody")]
    for t in minted:
        srv.vend(t)
    srv.vend(body=b"", headers={"Authorization": "Bearer not.a.jwt"})
    st, _, body = tcp_http(srv.port, "GET", "/admin/v1/logs?lines=3", token=tokens.reader)
    assert st == 200 and len(body["lines"]) == 3
    assert tcp_http(srv.port, "GET", "/admin/v1/logs?lines=1", token=tokens.reader)[2]["lines"][0].count("\n") == 0
    everything = tcp_http(srv.port, "GET", "/admin/v1/logs?lines=100000", token=tokens.admin)[2]["lines"]
    assert 5 < len(everything) <= 1000
    assert any("client_id=client-a" in line for line in everything)
    joined = "\n".join(everything)
    for secret in minted + [tokens.admin, tokens.reader, FAKE_SRC["AWS_SECRET_ACCESS_KEY"], "fake-secret", "fake-session"]:
        assert secret not in joined
    for bad in ("0", "-2", "ten"):
        assert tcp_http(srv.port, "GET", f"/admin/v1/logs?lines={bad}", token=tokens.reader)[0] == 400


# --- the audit log -----------------------------------------------------------

def audit_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_audit_log_has_one_record_per_vend_and_per_admin_change_and_no_token(procs, tmp_path, issuer, sts, sockdir,
                                                                              tokens):
    sock = sockdir / "admin.sock"
    audit = tmp_path / "audit.jsonl"
    key = write_private(tmp_path / "audit-hmac.key", "k" * 64 + "\n")
    srv = serve(procs, tmp_path, issuer, sts, "--admin-socket", sock, "--admin-token-file", tokens.file,
                "--audit-log", audit, "--audit-hmac-key-file", key)
    assert stat.S_IMODE(audit.stat().st_mode) == 0o600
    good = issuer.mint("client-a", jti="jti-0001")
    unmapped = issuer.mint("nobody")
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    vends = [srv.vend(good), srv.vend(good), srv.vend(unmapped), srv.vend(forged), srv.vend(body=b"{}"),
             srv.vend(body=b"", headers={"Authorization": f"Bearer {good}"})]
    assert [v[0] for v in vends] == [200, 200, 403, 401, 400, 200]
    http(srv.url + "/healthz")  # not a vending decision
    assert unix_http(sock, "PUT", f"/admin/v1/roles/{CID}", record(CID))[0] == 201
    assert tcp_http(srv.port, "PUT", f"/admin/v1/roles/{CID}", record(CID, permission="full"), token=tokens.admin)[0] == 200
    assert tcp_http(srv.port, "PUT", f"/admin/v1/roles/{CID}", record(CID, bucket="BAD"), token=tokens.admin)[0] == 400
    assert tcp_http(srv.port, "DELETE", f"/admin/v1/roles/{CID}", token=tokens.admin)[0] == 204
    assert tcp_http(srv.port, "GET", "/admin/v1/roles", token=tokens.admin)[0] == 200  # a read: no record

    records = audit_records(audit)
    vend_records = [r for r in records if r["type"] == "vend"]
    changes = [r for r in records if r["type"] == "admin_change"]
    assert len(vend_records) == 6 and len(changes) == 3 and len(records) == 9
    assert [r["request_id"] for r in vend_records] == [v[1]["X-Request-Id"] for v in vends]
    ok = vend_records[0]
    assert ok["client_id"] == "client-a" and ok["role_arn"] == ARN_A and ok["role_session_name"] == "credvend-edge-01"
    assert ok["status"] == 200 and ok["error"] is None and ok["source"].startswith("127.0.0.1:")
    keyed = lambda m: hmac.new(("k" * 64).encode(), m.encode(), hashlib.sha256).hexdigest()
    assert ok["token_id"] == keyed("jti:jti-0001") and ok["token_id_from"] == "jti"
    assert vend_records[1]["token_id"] == ok["token_id"] == vend_records[5]["token_id"]
    assert vend_records[2]["status"] == 403 and vend_records[2]["error"] == "access_denied"
    assert vend_records[2]["client_id"] == "nobody" and vend_records[2]["role_arn"] is None
    assert vend_records[3]["status"] == 401 and vend_records[3]["error"] == "invalid_token"
    assert vend_records[3]["token_id"] == keyed("token:" + forged) and vend_records[3]["token_id_from"] == "token"
    assert vend_records[4]["status"] == 400 and vend_records[4]["token_id"] is None
    assert all(r["time"].endswith("Z") for r in records)

    put1, put2, delete = changes
    assert put1["caller"] == {"via": "socket"} and put1["before"] is None and put1["after"]["permission"] == "write"
    assert put1["route"] == "PUT /admin/v1/roles/{client_id}" and put1["client_id"] == CID and put1["status"] == 201
    assert put2["caller"] == {"via": "token", "role": "admin", "token_sha256_prefix": sha256_hex(tokens.admin)[:8]}
    assert put2["before"]["permission"] == "write" and put2["after"]["permission"] == "full"
    assert delete["route"] == "DELETE /admin/v1/roles/{client_id}" and delete["after"] is None
    assert delete["before"]["permission"] == "full"

    text = audit.read_text()
    for secret in (good, unmapped, forged, tokens.admin, tokens.reader, "fake-secret", "fake-session",
                   FAKE_SRC["AWS_SECRET_ACCESS_KEY"]):
        assert secret not in text
    for part in good.split("."):
        assert part not in text


def full_file(path: Path) -> Path:
    """A regular file every append fails on (EFBIG): sparse, and as long as its file
    system allows. The audit log refuses devices such as /dev/full."""
    with open(path, "wb") as f:
        low, high = 0, 2**63 - 1
        while low < high:
            mid = (low + high + 1) // 2
            try:
                os.ftruncate(f.fileno(), mid)
                low = mid
            except OSError:
                high = mid - 1
        os.ftruncate(f.fileno(), low)
    return path


def test_audit_write_failures_are_counted_and_fail_requests_only_when_required(procs, tmp_path, issuer, sts):
    full = full_file(tmp_path / "full.jsonl")
    lenient = serve(procs, tmp_path, issuer, sts, "--audit-log", full)
    assert lenient.vend(issuer.mint("client-a"))[0] == 200
    assert lenient.vend(issuer.mint("nobody"))[0] == 403
    metrics = http(lenient.url + "/metrics")[2]
    assert "credvend_audit_write_failures_total 2" in metrics
    assert "audit record could not be written" in lenient.log()

    strict = serve(procs, tmp_path, issuer, sts, "--audit-log", full, "--audit-required")
    st, hdrs, err = strict.vend(issuer.mint("client-a"))
    assert st == 503 and err["error"] == "unavailable" and "Retry-After" in hdrs
    assert "AccessKeyId" not in json.dumps(err)
    assert "credvend_audit_write_failures_total 1" in http(strict.url + "/metrics")[2]
    assert http(strict.url + "/healthz")[0] == 200  # only vending decisions are audited


def test_sighup_reopens_the_audit_log_after_rotation(procs, tmp_path, issuer, sts):
    audit = tmp_path / "audit.jsonl"
    srv = serve(procs, tmp_path, issuer, sts, "--audit-log", audit)
    srv.vend(issuer.mint("nobody"))
    audit.rename(tmp_path / "audit.jsonl.1")
    srv.proc.send_signal(signal.SIGHUP)
    wait_for_log(srv.proc.log_path, re.compile("audit log reopened"), proc=srv.proc)
    srv.vend(issuer.mint("nobody"))
    assert len(audit_records(tmp_path / "audit.jsonl.1")) == 1
    assert len(audit_records(audit)) == 1
    assert stat.S_IMODE(audit.stat().st_mode) == 0o600


# --- credvend roles --admin-url ----------------------------------------------

def roles_cli(*args, input=None):
    return run_cli("roles", *[str(a) for a in args], input=input, env={"CREDVEND_DB": ""})


def test_remote_roles_cli_gives_the_same_output_and_exit_codes_as_local(procs, tmp_path, issuer, sts, sockdir, tokens):
    sock = sockdir / "admin.sock"
    srv = serve(procs, tmp_path, issuer, sts, "--admin-socket", sock, "--admin-token-file", tokens.file, roles=[])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([record("aaaaaaaaaaaaaaaaaaaaaaaaaa"), record("cccccccccccccccccccccccccc", bucket="Bad")]))
    two = tmp_path / "two.json"
    two.write_text(json.dumps([record("aaaaaaaaaaaaaaaaaaaaaaaaaa"), record("1abc2defg3hij4klmno5pqrs6")]))
    script = [
        ["put", CID, "--role-arn", ARN_A, "--server-name", "edge-01", "--bucket", "oidc-s3-dev",
         "--s3-path-prefix", "backups/edge-01/", "--permission", "read-write", "--session-duration", "7200"],
        ["get", CID], ["get", "zzzzzzzzzzzzzzzzzzzzzzzzzz"], ["get", "not a client id"],
        ["put", CID, "--role-arn", ARN_A, "--permission", "admin"],
        ["import", SEED], ["import", SEED], ["import", bad], ["list"], ["export"],
        ["import", two, "--replace"], ["list"], ["delete", CID], ["delete", "1abc2defg3hij4klmno5pqrs6"],
        ["delete", "1abc2defg3hij4klmno5pqrs6"], ["export"],
    ]
    local_db = tmp_path / "local-db"
    modes = {
        "local": (["--db", local_db], str(local_db)),
        "socket": (["--admin-url", f"unix:{sock}"], f"unix:{sock}"),
        "token": (["--admin-url", srv.url, "--admin-token-file", tokens.admin_file], srv.url),
    }
    results = {}
    for mode, (flags, location) in modes.items():
        if mode == "token":  # the same store again: start from empty
            unix_http(sock, "POST", "/admin/v1/roles:import?replace=true", [])
        out = []
        for step in script:
            r = roles_cli(*flags, *step)
            out.append((r.returncode, r.stdout, r.stderr.replace(location, "<store>")))
        results[mode] = out
    for i, step in enumerate(script):
        assert results["socket"][i] == results["local"][i], (step, results["socket"][i], results["local"][i])
        assert results["token"][i] == results["local"][i], (step, results["token"][i], results["local"][i])
    codes = [c for c, _, _ in results["local"]]
    assert codes == [0, 0, 1, 2, 2, 0, 0, 2, 0, 0, 0, 0, 1, 0, 1, 0]
    # A reader token reads but cannot write (exit 2, the server's reason).
    reader = ["--admin-url", srv.url, "--admin-token-file", tokens.reader_file]
    assert roles_cli(*reader, "list").returncode == 0
    r = roles_cli(*reader, "delete", "aaaaaaaaaaaaaaaaaaaaaaaaaa")
    assert r.returncode == 2 and "403" in r.stderr and "admin role" in r.stderr


def test_remote_import_with_one_bad_record_leaves_the_server_store_unchanged(procs, tmp_path, issuer, sts, sockdir, tokens):
    sock = sockdir / "admin.sock"
    srv = serve(procs, tmp_path, issuer, sts, "--admin-socket", sock, "--admin-token-file", tokens.file,
                "--map-size", 65536, roles=[])
    flags = ["--admin-url", f"unix:{sock}"]
    assert roles_cli(*flags, "import", SEED).returncode == 0
    before = roles_cli(*flags, "export").stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([record("aaaaaaaaaaaaaaaaaaaaaaaaaa"), record("bbbbbbbbbbbbbbbbbbbbbbbbbb", permission="full"),
                               record("cccccccccccccccccccccccccc", bucket="Not_A_Bucket"),
                               record("dddddddddddddddddddddddddd")]))
    r = roles_cli(*flags, "import", bad, "--replace")
    assert r.returncode == 2
    assert 'record 2 (client_id "cccccccccccccccccccccccccc"), field "bucket"' in r.stderr
    assert roles_cli(*flags, "export").stdout == before
    # The server checks it again itself and refuses the whole import, naming the record.
    st, _, err = tcp_http(srv.port, "POST", "/admin/v1/roles:import?replace=true", bad.read_bytes(), token=tokens.admin)
    assert st == 400 and err["record"] == 2 and err["field"] == "bucket"
    # A failure only the server can see (its store is full) also writes nothing.
    many = tmp_path / "many.json"
    many.write_text(json.dumps([record(f"client{n:020d}", server_name=f"server-{n}") for n in range(3000)]))
    r = roles_cli(*flags, "import", many)
    assert r.returncode == 2 and "role store is full" in r.stderr, r.stderr
    assert roles_cli(*flags, "export").stdout == before
    assert unix_http(sock, "GET", "/admin/v1/info")[2]["role_store"]["records"] == 6


def test_remote_https_verifies_the_server_certificate(procs, tmp_path, issuer, sts, tokens):
    srv = serve(procs, tmp_path, issuer, sts, "--admin-token-file", tokens.file)
    proxy = TLSProxy(srv.port, tmp_path)
    try:
        flags = ["--admin-url", proxy.url, "--admin-token-file", tokens.admin_file]
        r = roles_cli(*flags, "--admin-ca", proxy.ca_pem, "put", CID, "--role-arn", ARN_B)
        assert r.returncode == 0, r.stderr
        r = roles_cli(*flags, "--admin-ca", proxy.ca_pem, "get", CID)
        assert r.returncode == 0 and json.loads(r.stdout)["role_arn"] == ARN_B
        r = roles_cli(*flags, "get", CID)  # the system's roots do not know this CA
        assert r.returncode == 2 and "cannot reach the admin API" in r.stderr and "certificate" in r.stderr, r.stderr
    finally:
        proxy.close()


def test_admin_url_flags_are_checked(tmp_path, tokens):
    cases = [
        (["--admin-url", "http://192.0.2.10:8080", "--admin-token-file", tokens.admin_file, "list"], "loopback"),
        (["--admin-url", "https://127.0.0.1:1", "list"], "--admin-token-file"),
        (["--admin-url", "ftp://x", "--admin-token-file", tokens.admin_file, "list"], "http(s)"),
        (["--db", tmp_path / "db", "--admin-url", "unix:/tmp/x.sock", "list"], "not both"),
        (["--db", tmp_path / "db", "--admin-token-file", tokens.admin_file, "list"], "need --admin-url"),
    ]
    for args, text in cases:
        r = roles_cli(*args)
        assert r.returncode == 2 and text in r.stderr, (args, r.stderr)
    os.chmod(tokens.admin_file, 0o644)
    r = roles_cli("--admin-url", "https://127.0.0.1:1", "--admin-token-file", tokens.admin_file, "list")
    assert r.returncode == 2 and "chmod 600" in r.stderr and tokens.admin not in r.stderr
    r = roles_cli("--admin-url", f"unix:{tmp_path}/nobody.sock", "list")
    assert r.returncode == 2 and "cannot reach the admin API" in r.stderr


def test_audit_flags_are_checked_before_listening(tmp_path, issuer, sockdir):
    code, err = serve_fails(tmp_path, issuer, "--audit-required")
    assert code != 0 and "--audit-required needs --audit-log" in err
    key = write_private(tmp_path / "hmac.key", "k" * 64, mode=0o644)
    code, err = serve_fails(tmp_path, issuer, "--audit-log", tmp_path / "a.jsonl", "--audit-hmac-key-file", key)
    assert code != 0 and "--audit-hmac-key-file" in err and "chmod 600" in err
    os.chmod(key, 0o600)
    key.write_text("short")
    code, err = serve_fails(tmp_path, issuer, "--audit-log", tmp_path / "a.jsonl", "--audit-hmac-key-file", key)
    assert code != 0 and "at least 32" in err
    code, err = serve_fails(tmp_path, issuer, "--audit-log", tmp_path / "no" / "dir" / "a.jsonl",
                            "--admin-socket", sockdir / "admin.sock")
    assert code != 0 and "--audit-log" in err
    assert not (sockdir / "admin.sock").exists()
