"""`credvend roles` against the real binary: every subcommand, exit codes
0 (ok), 1 (not found), 2 (invalid input or store error), and that a failure
prints one message on stderr and writes nothing."""
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SEED = ROOT / "seed-data" / "roles.json"
ARN = "arn:aws:iam::123456789012:role/oidc-s3-dev-server-01"
CID = "5h2k9q4w7e1r3t6y8u0i2o4pzz"


def roles(bin_, db, *args, env=None, input=None, **kw):
    full_env = dict(os.environ)
    full_env.pop("CREDVEND_DB", None)
    if env:
        full_env.update(env)
    cmd = [bin_, "roles"] + (["--db", str(db)] if db is not None else []) + [str(a) for a in args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=full_env, input=input, **kw)


def one_error_line(result):
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    return lines[0]


def record(cid, **fields):
    return {"client_id": cid, "role_arn": ARN, **fields}


def test_put_get_list_delete_export(credvend_bin, tmp_path):
    db = tmp_path / "db"
    r = roles(credvend_bin, db, "put", CID, "--role-arn", ARN, "--server-name", "edge-01", "--bucket", "oidc-s3-dev",
              "--s3-path-prefix", "backups/edge-01/", "--permission", "read-write", "--session-duration", "7200")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert (db / "data.mdb").exists()
    assert oct(db.stat().st_mode & 0o777) == "0o700"

    r = roles(credvend_bin, db, "get", CID)
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        '{"client_id":"%s","role_arn":"%s","server_name":"edge-01","bucket":"oidc-s3-dev",'
        '"s3_path_prefix":"backups/edge-01/","permission":"read-write","session_duration_s":7200}\n' % (CID, ARN))

    assert roles(credvend_bin, db, "put", "aaaaaaaaaaaaaaaaaaaaaaaaaa", "--role-arn", ARN).returncode == 0
    r = roles(credvend_bin, db, "list")
    assert r.returncode == 0
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["client_id"] for x in lines] == [CID, "aaaaaaaaaaaaaaaaaaaaaaaaaa"]  # bytewise order
    assert lines[1] == {"client_id": "aaaaaaaaaaaaaaaaaaaaaaaaaa", "role_arn": ARN, "permission": "write",
                        "session_duration_s": 3600}

    r = roles(credvend_bin, db, "export")
    assert r.returncode == 0
    assert json.loads(r.stdout) == lines

    r = roles(credvend_bin, db, "delete", CID)
    assert r.returncode == 0, r.stderr
    r = roles(credvend_bin, db, "get", CID)
    assert r.returncode == 1
    assert CID in one_error_line(r)
    assert r.stdout == ""


def test_not_found_is_exit_1(credvend_bin, tmp_path):
    db = tmp_path / "db"
    assert roles(credvend_bin, db, "put", CID, "--role-arn", ARN).returncode == 0
    for sub in ("get", "delete"):
        r = roles(credvend_bin, db, sub, "zzzzzzzzzzzzzzzzzzzzzzzzzz")
        assert r.returncode == 1, (sub, r.stderr)
        assert "no role mapping" in one_error_line(r)
    # A string that cannot be a client_id is invalid input, not "not found".
    r = roles(credvend_bin, db, "get", "not a client id")
    assert r.returncode == 2
    assert '"client_id"' in one_error_line(r)


@pytest.mark.parametrize("sub", [["get", CID], ["list"], ["export"], ["delete", CID]])
def test_missing_store_is_exit_2_and_nothing_is_created(credvend_bin, tmp_path, sub):
    db = tmp_path / "nothing-here"
    r = roles(credvend_bin, db, *sub)
    assert r.returncode == 2
    assert "no role store" in one_error_line(r)
    assert r.stdout == ""
    assert not db.exists()
    # An existing but empty directory is not a store either, and stays empty.
    db.mkdir()
    r = roles(credvend_bin, db, *sub)
    assert r.returncode == 2
    assert list(db.iterdir()) == []


def test_seed_data_import_and_export_round_trip(credvend_bin, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    r = roles(credvend_bin, one, "import", SEED)
    assert r.returncode == 0, r.stderr
    assert "6 added" in r.stderr
    r = roles(credvend_bin, one, "list")
    assert len(r.stdout.splitlines()) == 6
    assert {json.loads(x)["permission"] for x in r.stdout.splitlines()} == {"write", "read-write", "full"}

    first = roles(credvend_bin, one, "export").stdout
    assert first == SEED.read_text()  # the seed file is in canonical form
    exported = tmp_path / "export.json"
    exported.write_text(first)
    assert roles(credvend_bin, two, "import", exported).returncode == 0
    second = roles(credvend_bin, two, "export").stdout
    assert second.encode() == first.encode()

    # Importing the same file again changes nothing.
    r = roles(credvend_bin, two, "import", exported)
    assert r.returncode == 0 and "6 unchanged" in r.stderr


def test_import_from_stdin(credvend_bin, tmp_path):
    r = roles(credvend_bin, tmp_path / "db", "import", "-", input=SEED.read_text())
    assert r.returncode == 0, r.stderr
    assert len(roles(credvend_bin, tmp_path / "db", "list").stdout.splitlines()) == 6


def test_import_replace(credvend_bin, tmp_path):
    db = tmp_path / "db"
    assert roles(credvend_bin, db, "import", SEED).returncode == 0
    f = tmp_path / "two.json"
    f.write_text(json.dumps([record("aaaaaaaaaaaaaaaaaaaaaaaaaa"), record("1abc2defg3hij4klmno5pqrs6")]))
    r = roles(credvend_bin, db, "import", f)
    assert r.returncode == 0
    assert len(roles(credvend_bin, db, "list").stdout.splitlines()) == 7
    r = roles(credvend_bin, db, "import", f, "--replace")
    assert r.returncode == 0, r.stderr
    assert "5 removed" in r.stderr
    ids = [json.loads(x)["client_id"] for x in roles(credvend_bin, db, "list").stdout.splitlines()]
    assert ids == ["1abc2defg3hij4klmno5pqrs6", "aaaaaaaaaaaaaaaaaaaaaaaaaa"]


def test_bad_record_in_the_middle_names_index_client_id_and_field(credvend_bin, tmp_path):
    db = tmp_path / "db"
    assert roles(credvend_bin, db, "import", SEED).returncode == 0
    before = roles(credvend_bin, db, "export").stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([
        record("aaaaaaaaaaaaaaaaaaaaaaaaaa"),
        record("bbbbbbbbbbbbbbbbbbbbbbbbbb", permission="full"),
        record("cccccccccccccccccccccccccc", bucket="Not_A_Bucket"),
        record("dddddddddddddddddddddddddd"),
    ]))
    r = roles(credvend_bin, db, "import", bad, "--replace")
    assert r.returncode == 2
    line = one_error_line(r)
    assert "record 2" in line
    assert "cccccccccccccccccccccccccc" in line
    assert '"bucket"' in line
    assert roles(credvend_bin, db, "export").stdout == before


@pytest.mark.parametrize("bad,field", [
    ({"session_duration_s": "3600"}, "session_duration_s"),
    ({"session_duration_s": 60}, "session_duration_s"),
    ({"permission": "admin"}, "permission"),
    ({"role_arn": "arn:aws:iam::123:role/x"}, "role_arn"),
    ({"s3_path_prefix": "backups/"}, "s3_path_prefix"),
    ({"bucket": "b", "s3_path_prefix": "x"}, "bucket"),
    ({"bucket": "oidc-s3-dev", "s3_path_prefix": "/abs/"}, "s3_path_prefix"),
    ({"bucket": "oidc-s3-dev", "s3_path_prefix": "a/../b/"}, "s3_path_prefix"),
    ({"server_name": ""}, "server_name"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_field_in_file(credvend_bin, tmp_path, bad, field):
    f = tmp_path / "r.json"
    f.write_text(json.dumps([record(CID, **bad)]))
    r = roles(credvend_bin, tmp_path / "db", "import", f)
    assert r.returncode == 2
    line = one_error_line(r)
    assert f'record 0 (client_id "{CID}"), field "{field}"' in line
    assert not (tmp_path / "db").exists()  # refused before the store is even created


@pytest.mark.parametrize("flags,field", [
    (["--permission", "admin"], "permission"),
    (["--session-duration", "1h"], "session_duration_s"),
    (["--session-duration", "50000"], "session_duration_s"),
    (["--bucket", "UPPER"], "bucket"),
    (["--s3-path-prefix", "x/"], "s3_path_prefix"),
    (["--server-name", "tab\there"], "server_name"),
])
def test_bad_field_in_put(credvend_bin, tmp_path, flags, field):
    r = roles(credvend_bin, tmp_path / "db", "put", CID, "--role-arn", ARN, *flags)
    assert r.returncode == 2
    assert f'field "{field}"' in one_error_line(r)
    assert not (tmp_path / "db").exists()
    r = roles(credvend_bin, tmp_path / "db", "put", "bad id!", "--role-arn", ARN)
    assert r.returncode == 2 and 'field "client_id"' in one_error_line(r)


@pytest.mark.parametrize("content,expect", [
    ('[{"client_id": "a",\n  oops}]', "line 2"),
    ("", "empty"),
    ('{"client_id": "a"}', "JSON array"),
    ("[1]", "record 0"),
])
def test_bad_json_file(credvend_bin, tmp_path, content, expect):
    f = tmp_path / "r.json"
    f.write_text(content)
    r = roles(credvend_bin, tmp_path / "db", "import", f)
    assert r.returncode == 2
    assert expect in one_error_line(r)
    assert not (tmp_path / "db").exists()


def test_missing_or_unreadable_import_file(credvend_bin, tmp_path):
    r = roles(credvend_bin, tmp_path / "db", "import", tmp_path / "nope.json")
    assert r.returncode == 2
    assert "no such file" in one_error_line(r)
    r = roles(credvend_bin, tmp_path / "db", "import", tmp_path)
    assert r.returncode == 2
    assert "is a directory" in one_error_line(r)
    assert not (tmp_path / "db").exists()


def test_store_under_a_regular_file_is_unwritable(credvend_bin, tmp_path):
    # Tests run as root, which ignores directory modes; a path whose parent is a
    # regular file cannot be created by anyone (ENOTDIR), root included.
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    db = blocker / "db"
    for args in (["put", CID, "--role-arn", ARN], ["import", SEED]):
        r = roles(credvend_bin, db, *args)
        assert r.returncode == 2
        assert "not a directory" in one_error_line(r)
    assert blocker.read_text() == "not a directory"


def _as_unprivileged():
    """preexec_fn dropping to nobody when we are root; None when already unprivileged."""
    if os.geteuid() != 0:
        return None

    def drop():
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    return drop


def test_read_only_directory_as_unprivileged_user(credvend_bin):
    # The real "directory without write permission" case: as root we run the
    # binary as nobody (65534), for whom mode 0555 is enforced. mkdtemp in /tmp
    # because pytest's tmp_path lives in a root-only (0700) directory.
    base = Path(tempfile.mkdtemp(prefix="credvend-ro-"))
    try:
        base.chmod(0o755)
        locked = base / "locked"
        locked.mkdir(mode=0o555)
        locked.chmod(0o555)
        for db in (locked, locked / "db"):
            r = roles(credvend_bin, db, "put", CID, "--role-arn", ARN, preexec_fn=_as_unprivileged(), cwd=str(base))
            assert r.returncode == 2, r.stderr
            assert "permission denied" in one_error_line(r)
        assert list(locked.iterdir()) == []
    finally:
        shutil.rmtree(base)


def test_map_full_is_a_clear_error(credvend_bin, tmp_path):
    db = tmp_path / "db"
    assert roles(credvend_bin, db, "--map-size", 65536, "put", CID, "--role-arn", ARN).returncode == 0
    many = tmp_path / "many.json"
    many.write_text(json.dumps([record(f"client{n:020d}", server_name=f"server-{n}") for n in range(3000)]))
    r = roles(credvend_bin, db, "--map-size", 65536, "import", many)
    assert r.returncode == 2
    assert "role store is full; raise --map-size" in one_error_line(r)
    r = roles(credvend_bin, db, "--map-size", 65536, "list")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 1
    r = roles(credvend_bin, db, "--map-size", 64 << 20, "import", many)
    assert r.returncode == 0, r.stderr
    assert len(roles(credvend_bin, db, "list").stdout.splitlines()) == 3001


def test_db_from_environment_and_default(credvend_bin, tmp_path):
    env_db = tmp_path / "from-env"
    r = roles(credvend_bin, None, "put", CID, "--role-arn", ARN, env={"CREDVEND_DB": str(env_db)})
    assert r.returncode == 0, r.stderr
    assert (env_db / "data.mdb").exists()
    assert roles(credvend_bin, None, "get", CID, env={"CREDVEND_DB": str(env_db)}).returncode == 0
    # Without --db or CREDVEND_DB: ./credvend-data in the working directory.
    work = tmp_path / "work"
    work.mkdir()
    r = roles(credvend_bin, None, "put", CID, "--role-arn", ARN, cwd=str(work))
    assert r.returncode == 0, r.stderr
    assert (work / "credvend-data" / "data.mdb").exists()
    # --db wins over the environment, and may come after the subcommand.
    r = roles(credvend_bin, None, "get", CID, "--db", str(work / "credvend-data"),
              env={"CREDVEND_DB": str(tmp_path / "elsewhere")})
    assert r.returncode == 0, r.stderr


def test_usage_errors_and_help(credvend_bin, tmp_path):
    r = roles(credvend_bin, tmp_path / "db", "put", CID)  # --role-arn missing
    assert r.returncode == 2
    assert "--role-arn" in r.stderr
    assert not (tmp_path / "db").exists()
    r = subprocess.run([credvend_bin, "roles", "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0
    for text in ("Exit codes", "0  success", "1  not found", "2  invalid input or store error", "3  conflict",
                 "import", "put", "get", "list", "delete", "export", "CREDVEND_DB", "--table"):
        assert text in r.stdout, text


def test_table_flags_are_refused_with_another_store_or_without_table(credvend_bin, tmp_path):
    for args, words in [(["--db", tmp_path / "db", "--table", "client_roles", "list"], "--table"),
                        (["--admin-url", "unix:/nonexistent", "--table", "client_roles", "list"], "--table"),
                        (["--dynamodb-endpoint", "http://127.0.0.1:1", "list"], "need --table"),
                        (["--table", "x", "list"], "--roles-table"),  # a table name DynamoDB refuses
                        (["--table", "client_roles", "--dynamodb-endpoint", "http://10.1.2.3:8000", "list"],
                         "--dynamodb-endpoint")]:
        r = roles(credvend_bin, None, *args)
        assert r.returncode == 2, (args, r.stderr)
        assert words in r.stderr, r.stderr
    assert not (tmp_path / "db").exists()
