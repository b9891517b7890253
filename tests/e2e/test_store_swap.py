"""The role store directory moved away, replaced or deleted under a running
`credvend serve` (a restore from backup): the server notices within a couple of
seconds and serves the store now in the directory, or refuses while there is
none; it never goes on vending the mappings of the store that left.

Real binary, `credvend dev-idp` as the issuer, moto_server as the STS."""
import json
import shutil
import subprocess
import time

import boto3

from conftest import BIN
from e2elib import LISTEN_RE, Serve, http, import_roles, role, run_cli, wait_for_log

BOUND = 2.0  # seconds the server may take to notice


def start_idp(procs, tmp_path):
    clients = tmp_path / "idp-clients.json"
    clients.write_text(json.dumps([
        {"client_id": c, "client_secret": f"secret-{c}", "scopes": ["credvend/write"]}
        for c in ("client-old", "client-new")]))
    key = tmp_path / "idp-key.pem"
    p = procs.start([BIN, "dev-idp", "--listen", "127.0.0.1:0", "--clients", str(clients), "--key", str(key)],
                    name="idp")
    m = wait_for_log(p.log_path, LISTEN_RE, proc=p)
    return f"http://127.0.0.1:{m.group(2)}", key


def mint(idp, key, client_id) -> str:
    r = run_cli("dev-idp", "mint", "--key", str(key), "--client-id", client_id, "--issuer", idp)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def assumed_role(moto, body) -> str:
    """The role the vended credentials belong to, as moto's STS says."""
    who = boto3.client("sts", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id=body["AccessKeyId"],
                       aws_secret_access_key=body["SecretAccessKey"], aws_session_token=body["SessionToken"])
    return who.get_caller_identity()["Arn"].split("/")[1]


def sh(*args):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, (args, r.stderr)


def until(deadline, check, pause=0.05):
    """Calls `check` until it returns a true value or `deadline` (monotonic) passes."""
    while True:
        result = check()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(pause)


def server(procs, tmp_path, moto, idp, roles):
    return Serve(procs, tmp_path, idp, moto.url, roles, env=moto.source_env())


def test_replaced_store_is_served_and_the_old_one_is_not(procs, tmp_path, moto):
    old_arn, new_arn = moto.create_role("store-old"), moto.create_role("store-new")
    moto.enforce_signatures()
    idp, key = start_idp(procs, tmp_path)
    srv = server(procs, tmp_path, moto, idp, [role("client-old", old_arn, server_name="old")])
    old_token, new_token = mint(idp, key, "client-old"), mint(idp, key, "client-new")
    st, _, body = srv.vend(old_token)
    assert st == 200, body
    assert assumed_role(moto, body) == "store-old"
    assert srv.vend(new_token)[0] == 403

    # The backup: another store, with another mapping.
    backup = tmp_path / "backup"
    import_roles(backup, [role("client-new", new_arn, server_name="new")])

    # Restore it the way an operator does: the live directory moved aside, the backup copied in.
    moved = srv.db.with_name(srv.db.name + ".old")
    sh("mv", str(srv.db), str(moved))
    sh("cp", "-a", str(backup), str(srv.db))
    swapped = time.monotonic()

    def new_vended():
        st, _, body = srv.vend(new_token)
        return body if st == 200 else None

    body = until(swapped + BOUND, new_vended)
    assert body, f"the new store's mapping was not vended within {BOUND}s:\n{srv.log()}"
    assert assumed_role(moto, body) == "store-new"
    st, _, old = srv.vend(old_token)
    assert st == 403 and old["error"] == "access_denied", old
    assert http(srv.url + "/readyz")[0] == 200

    # The switch is in the log with both identities.
    log = srv.log()
    assert "role store closed" in log and "role store opened" in log, log
    assert "ino" in log

    # Writes through `credvend roles` to the new directory are seen; the moved-away store is not read.
    import_roles(moved, [role("client-old", old_arn), role("client-new", old_arn)])
    assert srv.vend(old_token)[0] == 403
    import_roles(srv.db, [role("client-old", new_arn)])
    st, _, body = srv.vend(mint(idp, key, "client-old"))
    assert st == 200 and assumed_role(moto, body) == "store-new"


def test_deleted_store_is_refused_until_a_new_one_is_imported(procs, tmp_path, moto):
    arn = moto.create_role("store-a")
    idp, key = start_idp(procs, tmp_path)
    srv = server(procs, tmp_path, moto, idp, [role("client-old", arn)])
    token = mint(idp, key, "client-old")
    assert srv.vend(token)[0] == 200
    assert srv.vend(token)[0] == 200  # and cached

    shutil.rmtree(srv.db)
    deleted = time.monotonic()

    def refused():
        ready = http(srv.url + "/readyz")
        vend = srv.vend(token)
        return (ready, vend) if ready[0] == 503 and vend[0] == 503 else None

    seen = until(deleted + BOUND, refused)
    assert seen, f"still ready or vending {BOUND}s after the store was deleted:\n{srv.log()}"
    (_, _, ready), (_, hdrs, vend) = seen
    assert any(m.startswith("role store:") and "missing" in m for m in ready["missing"]), ready
    assert vend["error"] == "unavailable", vend
    assert int(hdrs["Retry-After"]) > 0

    # And it stays so: never 200 with the deleted store's mapping.
    for _ in range(10):
        assert srv.vend(token)[0] == 503
        assert http(srv.url + "/readyz")[0] == 503
        time.sleep(0.1)

    # A fresh store imported where the old one was is served again.
    import_roles(srv.db, [role("client-new", arn)])
    imported = time.monotonic()
    assert until(imported + BOUND, lambda: http(srv.url + "/readyz")[0] == 200), srv.log()
    assert srv.vend(mint(idp, key, "client-new"))[0] == 200
    assert srv.vend(token)[0] == 403
    assert "role store closed" in srv.log() and "role store opened" in srv.log()
