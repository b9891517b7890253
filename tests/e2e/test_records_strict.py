"""Strict role records against the real binary: a field given twice is refused on
every path (`roles import`, `roles put`, admin PUT and admin import, exit 2 or
HTTP 400, naming the field), `server_name` is any printable label of up to 256
bytes, and the RoleSessionName vended from it is one STS accepts."""
import json
import re
import shutil
import subprocess

import boto3
import pytest

from adminlib import short_tmpdir, unix_http
from e2elib import ACCOUNT, Serve, role
from test_roles_cli import one_error_line, roles

ARN = f"arn:aws:iam::{ACCOUNT}:role/app-a"
CID = "5h2k9q4w7e1r3t6y8u0i2o4pzz"
FAKE_SRC = {"AWS_ACCESS_KEY_ID": "AKIDSTRICTSOURCE01", "AWS_SECRET_ACCESS_KEY": "source-secret-never-shown"}
SESSION_RE = re.compile(r"^[\w+=,.@-]{2,64}$", re.ASCII)
EMOJI = "\U0001F642"  # 4 bytes of UTF-8


def session_name(server_name: str) -> str:
    """What the product contract says the RoleSessionName is."""
    return ("credvend-" + "".join(c if re.fullmatch(r"[\w+=,.@-]", c, re.ASCII) else "-" for c in server_name))[:64]


def dup_record(field: str, value: str = '"x"', cid: str = CID) -> str:
    """A record's JSON text with `field` given twice (json.dumps cannot write that)."""
    return '{"client_id":"%s","role_arn":"%s",%s:%s,%s:%s}' % (
        cid, ARN, json.dumps(field), value, json.dumps(field), value)


FIELDS = [("client_id", f'"{CID}"'), ("role_arn", f'"{ARN}"'), ("server_name", '"edge-01"'),
          ("bucket", '"oidc-s3-dev"'), ("permission", '"full"'), ("session_duration_s", "3600")]


@pytest.fixture
def sockdir():
    d = short_tmpdir()
    yield d
    shutil.rmtree(d, ignore_errors=True)


# --- a field given twice -----------------------------------------------------

@pytest.mark.parametrize("field,value", FIELDS)
def test_import_refuses_a_field_given_twice(credvend_bin, tmp_path, field, value):
    f = tmp_path / "dup.json"
    f.write_text('[\n  {"client_id":"aaaaaaaaaa","role_arn":"%s"},\n  %s\n]\n' % (ARN, dup_record(field, value)))
    r = roles(credvend_bin, tmp_path / "db", "import", f)
    assert r.returncode == 2, r.stderr
    line = one_error_line(r)
    assert f'record 1, field "{field}": given more than once (line 3' in line, line
    assert not (tmp_path / "db").exists()


@pytest.mark.parametrize("flags,field", [
    (["--role-arn", ARN], "role_arn"),
    (["--server-name", "a", "--server-name=b"], "server_name"),
    (["--bucket", "oidc-s3-dev", "--bucket", "oidc-s3-dev"], "bucket"),
    (["--bucket", "oidc-s3-dev", "--s3-path-prefix", "a/", "--s3-path-prefix", "b/"], "s3_path_prefix"),
    (["--permission", "full", "--permission", "write"], "permission"),
    (["--session-duration", "900", "--session-duration=3600"], "session_duration_s"),
])
def test_put_refuses_a_flag_given_twice(credvend_bin, tmp_path, flags, field):
    r = roles(credvend_bin, tmp_path / "db", "put", CID, "--role-arn", ARN, *flags)
    assert r.returncode == 2, r.stderr
    line = one_error_line(r)
    assert f'field "{field}": given more than once' in line, line
    assert not (tmp_path / "db").exists()


def test_put_refuses_a_value_that_is_not_utf8(credvend_bin, tmp_path):
    for args in ([b"--server-name", b"edge-\xff"], [b"--server-name=edge-\xc3("]):
        cmd = [credvend_bin.encode(), b"roles", b"--db", str(tmp_path / "db").encode(), b"put", CID.encode(),
               b"--role-arn", ARN.encode(), *args]
        r = subprocess.run(cmd, capture_output=True, timeout=60)
        assert r.returncode == 2, r.stderr
        assert b'field "server_name": must be valid UTF-8' in r.stderr, r.stderr
    assert not (tmp_path / "db").exists()


def test_admin_put_and_import_refuse_a_field_given_twice(credvend_bin, procs, tmp_path, issuer, sts, sockdir):
    sock = sockdir / "admin.sock"
    Serve(procs, tmp_path, issuer.url, sts.url, [role(CID, ARN, server_name="edge-01")],
          args=["--admin-socket", str(sock)], env=FAKE_SRC)
    before = unix_http(sock, "GET", "/admin/v1/roles")[2]
    for field, value in FIELDS:
        st, _, err = unix_http(sock, "PUT", f"/admin/v1/roles/{CID}", dup_record(field, value).encode(),
                               headers={"Content-Type": "application/json"})
        assert st == 400, (field, err)
        assert err["error"] == "invalid_request" and err["field"] == field and err["record"] is None, err
        assert f'field "{field}": given more than once' in err["message"], err
        body = "[%s,\n%s]" % (json.dumps(role("aaaaaaaaaa", ARN)), dup_record(field, value, cid="bbbbbbbbbb"))
        st, _, err = unix_http(sock, "POST", "/admin/v1/roles:import?replace=true", body.encode(),
                               headers={"Content-Type": "application/json"})
        assert st == 400, (field, err)
        assert err["field"] == field and err["record"] == 1, err
        assert f'record 1, field "{field}": given more than once (line 2' in err["message"], err
    assert unix_http(sock, "GET", "/admin/v1/roles")[2] == before  # nothing written
    # The CLI over the socket refuses a duplicated flag before sending anything.
    r = roles(credvend_bin, None, "--admin-url", f"unix:{sock}", "put", CID, "--role-arn", ARN,
              "--bucket", "oidc-s3-dev", "--bucket", "other-bucket")
    assert r.returncode == 2 and 'field "bucket": given more than once' in one_error_line(r)
    assert unix_http(sock, "GET", "/admin/v1/roles")[2] == before


# --- server_name: printable, up to 256 bytes ---------------------------------

def test_server_name_limits_count_bytes_on_every_path(credvend_bin, procs, tmp_path, issuer, sts, sockdir):
    db = tmp_path / "db"
    ok, too_long = EMOJI * 64, EMOJI * 65  # 256 and 260 bytes
    assert roles(credvend_bin, db, "put", CID, "--role-arn", ARN, "--server-name", ok).returncode == 0
    assert json.loads(roles(credvend_bin, db, "get", CID).stdout)["server_name"] == ok
    r = roles(credvend_bin, db, "put", CID, "--role-arn", ARN, "--server-name", too_long)
    assert r.returncode == 2 and 'field "server_name"' in one_error_line(r) and "256 bytes" in r.stderr
    for bad in ("bell\x07", "del\x7f", "nel\x85", "line\nbreak"):
        r = roles(credvend_bin, db, "put", CID, "--role-arn", ARN, "--server-name", bad)
        assert r.returncode == 2 and 'field "server_name"' in one_error_line(r), (bad, r.stderr)
    f = tmp_path / "r.json"
    f.write_text(json.dumps([role(CID, ARN, server_name=too_long)]))
    r = roles(credvend_bin, db, "import", f)
    assert r.returncode == 2 and f'record 0 (client_id "{CID}"), field "server_name"' in one_error_line(r)
    f.write_text(json.dumps([role(CID, ARN, server_name=" " + "x" * 255)]))
    assert roles(credvend_bin, db, "import", f).returncode == 0

    sock = sockdir / "admin.sock"
    Serve(procs, tmp_path, issuer.url, sts.url, [role(CID, ARN)], args=["--admin-socket", str(sock)], env=FAKE_SRC)
    st, _, body = unix_http(sock, "PUT", f"/admin/v1/roles/{CID}", role(CID, ARN, server_name=ok))
    assert st == 200 and body["server_name"] == ok, body
    st, _, err = unix_http(sock, "PUT", f"/admin/v1/roles/{CID}", role(CID, ARN, server_name=too_long))
    assert st == 400 and err["field"] == "server_name", err
    st, _, err = unix_http(sock, "PUT", f"/admin/v1/roles/{CID}", role(CID, ARN, server_name="esc\x1b[31m"))
    assert st == 400 and err["field"] == "server_name", err


def test_long_printable_server_names_vend_valid_session_names(procs, tmp_path, issuer, sts, sockdir):
    """Through admin PUT: the RoleSessionName sent to STS, for names of up to 256 bytes."""
    sock = sockdir / "admin.sock"
    srv = Serve(procs, tmp_path, issuer.url, sts.url, [role("client-a", ARN)], args=["--admin-socket", str(sock)],
                env=FAKE_SRC)
    names = ["edge-01." * 25, EMOJI * 64, "Büro Köln #2 / Regal 7 " * 10, " " + "名" * 85, "x" * 256]
    for n, name in enumerate(names):
        assert len(name.encode()) <= 256
        cid = f"client-{n}"
        st, _, body = unix_http(sock, "PUT", f"/admin/v1/roles/{cid}", role(cid, ARN, server_name=name))
        assert st == 201, body
        st, _, creds = srv.vend(issuer.mint(cid))
        assert st == 200, creds
        sent = sts.calls[-1]["form"]["RoleSessionName"]
        assert SESSION_RE.fullmatch(sent), sent
        assert len(sent.encode()) <= 64 and sent == session_name(name), (name, sent)


def test_a_200_byte_server_name_gives_a_session_moto_accepts(procs, tmp_path, issuer, moto):
    arn = moto.create_role("srv-long")
    moto.enforce_signatures()
    name = "rack 12, shelf 3: edge-01 / " + "ü" * 40 + "." * 92  # 200 bytes, printable, mostly outside [\w+=,.@-]
    assert len(name.encode()) == 200
    srv = Serve(procs, tmp_path, issuer.url, moto.url, [role("client-a", arn, server_name=name)],
                env=moto.source_env())
    st, _, body = srv.vend(issuer.mint("client-a"))
    assert st == 200, body
    who = boto3.client("sts", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id=body["AccessKeyId"],
                       aws_secret_access_key=body["SecretAccessKey"], aws_session_token=body["SessionToken"])
    arn_seen = who.get_caller_identity()["Arn"]
    expected = session_name(name)
    assert len(expected) == 64 and SESSION_RE.fullmatch(expected)
    assert arn_seen == f"arn:aws:sts::{ACCOUNT}:assumed-role/srv-long/{expected}"
