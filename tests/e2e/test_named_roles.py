"""Named roles end to end: the real binary, moto as STS with signature checks on.
A record carries roles beside its own; `POST /v1/credentials` picks one with
`role`, shortens it with `duration_seconds` and narrows it with `s3_path_prefix`."""
import json
import threading

import boto3

from e2elib import ACCOUNT, Serve, role, run_cli

CLIENT = "client-a"


def caller_arn(moto, creds) -> str:
    sts = boto3.client("sts", endpoint_url=moto.url, region_name="us-east-1",
                       aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"])
    return sts.get_caller_identity()["Arn"]


def assumed(name: str, session="credvend-web-01") -> str:
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/{session}"


def record(moto) -> dict:
    return role(CLIENT, moto.create_role("app"), server_name="web-01", roles=[
        {"name": "backup", "role_arn": moto.create_role("backup"), "bucket": "backup-bucket",
         "s3_path_prefix": "hosts/web-01/", "permission": "read-write", "session_duration_s": 7200},
        {"name": "logs", "role_arn": moto.create_role("logs")},
    ])


def server(procs, tmp_path, issuer, moto, rec) -> Serve:
    moto.enforce_signatures()
    return Serve(procs, tmp_path, issuer.url, moto.url, [rec, role("client-b", rec["role_arn"])],
                 env=moto.source_env())


def vend(srv, issuer, client=CLIENT, **fields):
    return srv.vend(body=json.dumps({"access_token": issuer.mint(client), **fields}).encode())


def test_named_role_vended_as_itself_and_refusals(procs, tmp_path, issuer, moto):
    srv = server(procs, tmp_path, issuer, moto, record(moto))
    st, _, plain = vend(srv, issuer)
    assert st == 200, plain
    assert caller_arn(moto, plain) == assumed("app")
    st, _, backup = vend(srv, issuer, role="backup", duration_seconds=3600, s3_path_prefix="hosts/web-01/daily/")
    assert st == 200, backup
    assert caller_arn(moto, backup) == assumed("backup")
    assert backup["AccessKeyId"] != plain["AccessKeyId"]
    # A role the client is not mapped to: another client's, or none at all.
    for client, name in ((CLIENT, "admin"), ("client-b", "backup")):
        st, _, body = vend(srv, issuer, client=client, role=name)
        assert st == 403 and body["error"] == "access_denied", body
        assert f'"{name}"' in body["message"], body
    # Outside, wider, or wild: never a policy beyond the role's prefix.
    for prefix in ("hosts/web-02/", "hosts/", "hosts/web-01*", "hosts/web-01/../web-02/"):
        st, _, body = vend(srv, issuer, role="backup", s3_path_prefix=prefix)
        assert st == 403 and body["error"] == "access_denied", (prefix, body)
    st, _, body = vend(srv, issuer, role="backup", duration_seconds=7201)
    assert st == 400 and body["error"] == "invalid_request" and "7200" in body["message"], body
    log = srv.log()
    assert " role=backup " in log and " role=admin " in log
    assert backup["SecretAccessKey"] not in log and backup["SessionToken"] not in log


def test_two_roles_never_swap_under_concurrent_requests(procs, tmp_path, issuer, moto):
    srv = server(procs, tmp_path, issuer, moto, record(moto))
    asks = [({}, "app"), ({"role": "backup"}, "backup"), ({"role": "logs"}, "logs"),
            ({"role": "backup", "s3_path_prefix": "hosts/web-01/x/"}, "backup")]
    results, lock = [], threading.Lock()

    def worker(i):
        fields, name = asks[i % len(asks)]
        st, _, body = vend(srv, issuer, **fields)
        with lock:
            results.append((fields, name, st, body))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 24
    by_key = {}
    for fields, name, st, body in results:
        assert st == 200, body
        by_key.setdefault(json.dumps(fields, sort_keys=True), set()).add(body["AccessKeyId"])
    # Each grant got one set of credentials, and no two grants share one.
    assert all(len(keys) == 1 for keys in by_key.values()), by_key
    assert len(set().union(*by_key.values())) == len(asks)
    for fields, name, _, body in results[:8]:
        assert caller_arn(moto, body) == assumed(name), fields


def test_cli_import_export_and_put_keep_named_roles(tmp_path, moto):
    rec = record(moto)
    db, f = tmp_path / "db", tmp_path / "roles.json"
    f.write_text(json.dumps([rec]))
    assert run_cli("roles", "--db", str(db), "import", str(f)).returncode == 0
    out = run_cli("roles", "--db", str(db), "export")
    assert out.returncode == 0, out.stderr
    exported = json.loads(out.stdout)[0]
    assert [r["name"] for r in exported["roles"]] == ["backup", "logs"]
    assert exported["roles"][0]["s3_path_prefix"] == "hosts/web-01/"
    put = run_cli("roles", "--db", str(db), "put", CLIENT, "--role-arn", rec["role_arn"], "--session-duration", "1800")
    assert put.returncode == 0 and "2 named roles kept" in put.stderr, put.stderr
    again = json.loads(run_cli("roles", "--db", str(db), "export").stdout)[0]
    assert again["session_duration_s"] == 1800 and again["roles"] == exported["roles"]
    bad = dict(rec, roles=[{"name": "default", "role_arn": rec["role_arn"]}])
    f.write_text(json.dumps([bad]))
    r = run_cli("roles", "--db", str(db), "import", str(f))
    assert r.returncode != 0 and "roles[0].name" in r.stderr, r.stderr
