"""Several `credvend serve` replicas sharing one DynamoDB roles table (docs/replicas.md):
moto_server as DynamoDB with signature checks on, a second moto_server as STS (so one
can fail without the other), items written with boto3 exactly as seeds/004's Terraform
writes them, nginx in front."""
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from conftest import free_port, wait_for_port
from e2elib import ACCOUNT, Serve, http, run_cli

TABLE = "client_roles"
INTERVAL = 1  # --roles-sync-interval in these tests; jitter makes a wait up to 1.2 s
BOUND = INTERVAL * 1.2 + 1.0  # a change is seen within one interval, plus 1 s
OUTAGE_S = 60  # how long DynamoDB is down in the outage test
WRITING_REPLICA_ACTIONS = ("dynamodb:Scan", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem",
                           "dynamodb:TransactWriteItems")
SEED = 20261201  # moto's random seed: the same keys in every moto process, restarted or not


def client_id(n: int) -> str:
    """26 characters, as a Cognito app client id."""
    return f"{n:02d}" + hashlib.sha256(str(n).encode()).hexdigest()[:24]


def seed_item(cid: str, role_name: str | None = None) -> dict:
    """An item exactly as seeds/004's `aws_dynamodb_table_item` writes it."""
    return {"client_id": {"S": cid},
            "role_arn": {"S": f"arn:aws:iam::{ACCOUNT}:role/{role_name or 'oidc-s3-dev-' + cid[:8]}"},
            "server_name": {"S": f"server-{cid[:8]}"},
            "s3_path_prefix": {"S": f"backups/server-{cid[:8]}/"}}


class MotoPeer:
    """moto_server with signature checks on, its requests applied one at a time as
    DynamoDB applies a conditional write (moto_atomic.py). Its random generator is seeded first, so
    the IAM user `credvend` (created first) has the same keys in every such process:
    the replicas' one source-credential chain signs for both DynamoDB and STS, and a
    restarted DynamoDB knows the keys the replicas started with."""

    def __init__(self, procs, port=None, table=True, writer=True, policy_actions=("dynamodb:Scan",),
                 expect_key=None):
        self.procs = procs
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = procs.start([sys.executable, str(Path(__file__).parent / "moto_atomic.py"), "127.0.0.1", str(self.port)],
                                env={"INITIAL_NO_AUTH_ACTION_COUNT": "inf", "MOTO_PORT": str(self.port)},
                                name=f"moto-{self.port}")
        wait_for_port(self.port, 30)
        iam = self.client("iam", "bootstrap", "bootstrap")
        # A replica's Scan arriving between the seed and the key draws from the same
        # random generator (request ids): then reset and try again.
        for _ in range(20):
            self._post("/moto-api/seed?a=" + str(SEED), b"")
            self.key = self._user(iam, "credvend", list(policy_actions))
            if expect_key is None or self.key == expect_key:
                break
            self._post("/moto-api/reset", b"")
        assert expect_key is None or self.key == expect_key, "moto never drew the expected keys"
        self.writer_key = self._user(iam, "writer", ["dynamodb:*"]) if writer else None
        self.iam = iam
        if table:
            self.create_table()

    def _post(self, path, body):
        req = urllib.request.Request(self.url + path, data=body, method="POST",
                                     headers={"Content-Type": "text/plain"})
        return urllib.request.urlopen(req, timeout=10).read()

    def _user(self, iam, name, actions):
        iam.create_user(UserName=name)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        # moto checks actions but passes resource "*" for DynamoDB, so the table-scoped
        # policy of docs/replicas.md cannot be checked here; the action list is.
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
        return key["AccessKeyId"], key["SecretAccessKey"]

    def client(self, service, key_id, secret):
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id=key_id, aws_secret_access_key=secret)

    def create_table(self):
        key = self.writer_key or ("bootstrap", "bootstrap")  # the writer, once signatures are checked
        self.client("dynamodb", *key).create_table(
            TableName=TABLE, KeySchema=[{"AttributeName": "client_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "client_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST")

    def enforce_signatures(self):
        assert json.loads(self._post("/moto-api/reset-auth", b"0"))["status"] == "ok"

    def writer(self):
        return self.client("dynamodb", *self.writer_key)

    def source_env(self):
        return {"AWS_ACCESS_KEY_ID": self.key[0], "AWS_SECRET_ACCESS_KEY": self.key[1]}


class Cluster:
    """DynamoDB, STS, an issuer, N replicas and (optionally) nginx in front."""

    def __init__(self, procs, tmp: Path, issuer, items=(), replicas=3, extra_args=(), nginx=False, writing=False):
        self.procs, self.tmp, self.issuer = procs, tmp, issuer
        # A writing replica (its admin API writes the table) gets the policy of docs/replicas.md.
        self.ddb = MotoPeer(procs, policy_actions=WRITING_REPLICA_ACTIONS if writing else ("dynamodb:Scan",))
        self.sts = MotoPeer(procs, table=False, writer=False, policy_actions=("sts:AssumeRole",))
        assert self.ddb.key == self.sts.key, "the seeded keys must match in both moto processes"
        self.ddb.enforce_signatures()
        self.sts.enforce_signatures()
        self.table = self.ddb.writer()
        for item in items:
            self.table.put_item(TableName=TABLE, Item=item)
        self.reader_token, self.admin_token = secrets.token_hex(16), secrets.token_hex(16)
        self.token_file = tmp / "admin-tokens"
        self.token_file.write_text(f"reader {hashlib.sha256(self.reader_token.encode()).hexdigest()}\n"
                                   f"admin {hashlib.sha256(self.admin_token.encode()).hexdigest()}\n")
        os.chmod(self.token_file, 0o600)
        self.extra_args = list(extra_args)
        self.replicas = [self.replica() for _ in range(replicas)]
        self.nginx = Nginx(procs, tmp, [r.port for r in self.replicas]) if nginx else None

    def args(self, endpoint=None):
        return ["--roles-table", TABLE, "--dynamodb-endpoint", endpoint or self.ddb.url,
                "--roles-sync-interval", str(INTERVAL), "--admin-token-file", str(self.token_file),
                *self.extra_args]

    def replica(self, db: Path | None = None, endpoint=None, wait_ready=True) -> Serve:
        # A later --db wins over the fresh one Serve picks: a restart on an earlier store.
        args = (["--db", str(db)] if db is not None else []) + self.args(endpoint)
        srv = Serve(self.procs, self.tmp, self.issuer.url, self.sts.url, args=args, env=self.ddb.source_env(),
                    wait_ready=False)
        if db is not None:
            srv.db = db
        if wait_ready:
            srv.wait_ready()
        return srv

    def admin_auth(self, extra=None) -> dict:
        return {"Authorization": f"Bearer {self.admin_token}", "Content-Type": "application/json", **(extra or {})}

    def role_of(self, srv: Serve, cid: str):
        st, _, body = http(f"{srv.url}/admin/v1/roles/{cid}",
                           headers={"Authorization": f"Bearer {self.reader_token}"})
        return body.get("role_arn") if st == 200 else None

    def vend(self, url: str, cid: str):
        body = json.dumps({"access_token": self.issuer.mint(cid)}).encode()
        return http(url + "/v1/credentials", method="POST", body=body,
                    headers={"Content-Type": "application/json"})


def metric(srv: Serve, name: str, labels: str = "") -> float:
    text = http(srv.url + "/metrics")[2]
    m = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.M)
    assert m, f"{name}{labels} not in /metrics"
    return float(m.group(1))


def wait_until(check, timeout: float, what: str, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(step)
    raise AssertionError(f"{what}: not within {timeout} s")


class Nginx:
    """nginx round-robin over the replicas: the config docs/replicas.md shows."""

    def __init__(self, procs, tmp: Path, ports):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.access(nginx, os.X_OK):
            pytest.skip("nginx is not installed (scripts/install-deps.sh installs it)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        prefix = tmp / "nginx"
        prefix.mkdir()
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in ports)
        conf = prefix / "nginx.conf"
        conf.write_text(f"""
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream credvend {{
{servers}
        keepalive 16;
        keepalive_timeout 5s;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        location = /readyz {{ return 404; }}
        location /admin/ {{ return 404; }}
        location / {{
            proxy_pass http://credvend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout http_503 non_idempotent;
            proxy_connect_timeout 2s;
            proxy_read_timeout 15s;
        }}
    }}
}}
""")
        self.proc = procs.start([nginx, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"], name="nginx")
        wait_for_port(self.port, 10)


def credentials_ok(resp) -> bool:
    st, _, body = resp
    return st == 200 and isinstance(body, dict) and body.get("AccessKeyId", "").startswith("ASIA")


# --- seed items on every replica, edits and deletes within the bound -----------------

def test_seed_items_are_vended_on_every_replica_and_through_nginx(procs, tmp_path, issuer):
    ids = [client_id(n) for n in range(3)]
    c = Cluster(procs, tmp_path, issuer, items=[seed_item(i) for i in ids], nginx=True)
    for srv in c.replicas:
        for cid in ids:
            assert credentials_ok(c.vend(srv.url, cid)), (srv.url, cid)
        assert metric(srv, "credvend_role_mappings") == 3
        assert metric(srv, "credvend_role_syncs_total", '{outcome="applied"}') >= 1
        assert metric(srv, "credvend_role_items_skipped") == 0
    for _ in range(3):
        for cid in ids:
            assert credentials_ok(c.vend(c.nginx.url, cid)), cid
    st, _, body = c.vend(c.nginx.url, client_id(99))
    assert st == 403 and body["error"] == "access_denied"
    for srv in c.replicas:
        log = srv.log()
        assert c.ddb.key[1] not in log and "roles table applied" in log


def test_admin_api_edits_through_one_replica_are_seen_by_every_replica_within_the_bound(procs, tmp_path, issuer):
    ids = [client_id(n) for n in range(50)]
    c = Cluster(procs, tmp_path, issuer, items=[seed_item(i) for i in ids], writing=True)
    writer = c.replicas[0]
    written, delays, put_times = {}, [], []
    pending = {(i, cid) for i in range(len(c.replicas)) for cid in ids}
    writing = True

    def poll():  # every replica's list, while the edits go on: when each edit shows on each
        while pending and (writing or time.monotonic() < deadline):
            for i, srv in enumerate(c.replicas):
                listed = http(f"{srv.url}/admin/v1/roles", headers={"Authorization": f"Bearer {c.reader_token}"})[2]
                now = time.monotonic()
                arns = {r["client_id"]: r["role_arn"] for r in listed}
                for cid, (at, arn) in list(written.items()):
                    if (i, cid) in pending and arns.get(cid) == arn:
                        delays.append(now - at)
                        pending.discard((i, cid))
            time.sleep(0.02)

    deadline = float("inf")
    poller = threading.Thread(target=poll)
    poller.start()
    try:
        for n, cid in enumerate(ids):  # 50 edits, each a conditional write of the table through replica 0
            record = {"client_id": cid, "role_arn": f"arn:aws:iam::{ACCOUNT}:role/edited-{n}"}
            sent = time.monotonic()
            st, hdrs, body = http(f"{writer.url}/admin/v1/roles/{cid}", method="PUT",
                                  body=json.dumps(record).encode(), headers=c.admin_auth({"If-Match": '"0"'}))
            assert st == 200 and header(hdrs, "etag") == '"1"', body
            written[cid] = (sent, record["role_arn"])
            put_times.append(time.monotonic() - sent)
            assert c.role_of(writer, cid) == record["role_arn"], "the writing replica has synced at once"
    finally:
        deadline = time.monotonic() + BOUND + 1
        writing = False
        poller.join(timeout=BOUND + 5)
    assert not pending, f"edits not seen: {sorted(pending)[:5]}"
    assert all(c.table.get_item(TableName=TABLE, Key={"client_id": {"S": cid}}, ConsistentRead=True)["Item"]
               ["version"] == {"N": "1"} for cid in ids[:3])
    delays.sort()
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(f"\nadmin-API edit visibility over {len(delays)} replica-edits: p50 {delays[len(delays) // 2]:.2f} s, "
          f"p99 {p99:.2f} s, max {delays[-1]:.2f} s (bound {BOUND:.1f} s); each PUT (write and sync) "
          f"p50 {sorted(put_times)[25]:.2f} s, max {max(put_times):.2f} s")
    assert p99 <= BOUND + 0.3, delays  # 0.3 s: polling and admin-API reads


def test_a_deleted_client_gets_403_on_every_replica_and_loses_its_cached_credentials(procs, tmp_path, issuer):
    gone, kept = client_id(1), client_id(2)
    c = Cluster(procs, tmp_path, issuer, items=[seed_item(gone), seed_item(kept), seed_item(client_id(3))])
    for srv in c.replicas:
        assert credentials_ok(c.vend(srv.url, gone))  # now cached on every replica
    c.table.delete_item(TableName=TABLE, Key={"client_id": {"S": gone}})
    deleted = time.monotonic()
    for srv in c.replicas:
        wait_until(lambda: c.vend(srv.url, gone)[0] == 403, BOUND + 0.5 - (time.monotonic() - deleted),
                   f"403 for the deleted client on {srv.url}")
        assert credentials_ok(c.vend(srv.url, kept))
    # Added back: fresh credentials from STS, not the ones cached before the delete.
    before = c.vend(c.replicas[0].url, kept)[2]["AccessKeyId"]
    c.table.put_item(TableName=TABLE, Item=seed_item(gone))
    wait_until(lambda: credentials_ok(c.vend(c.replicas[0].url, gone)), BOUND + 0.5, "re-added client vended")
    assert c.vend(c.replicas[0].url, kept)[2]["AccessKeyId"] == before, "an unchanged client stays cached"


# --- DynamoDB down, restarted without its table, recreated empty -----------------------

@pytest.mark.beside
def test_dynamodb_outage_restart_without_table_and_empty_table_change_nothing(procs, tmp_path, issuer):
    ids = [client_id(n) for n in range(4)]
    c = Cluster(procs, tmp_path, issuer, items=[seed_item(i) for i in ids], replicas=2)
    for srv in c.replicas:
        wait_until(lambda: metric(srv, "credvend_role_sync_age_seconds") < 2, 5, "a first sync")

    # The outage: 60 s, DynamoDB hung (SIGSTOP: calls time out) for the first half, then
    # gone (killed while stopped: connections refused) for the second.
    c.ddb.proc.send_signal(signal.SIGSTOP)
    try:
        stopped = time.monotonic()
        rounds = 0
        while time.monotonic() - stopped < OUTAGE_S:
            if c.ddb.proc.poll() is None and time.monotonic() - stopped >= OUTAGE_S / 2:
                c.ddb.proc.kill()
                c.ddb.proc.wait(timeout=10)
            for srv in c.replicas:
                for cid in ids:
                    assert credentials_ok(c.vend(srv.url, cid)), "vending goes on from the local copy"
                assert http(srv.url + "/readyz")[0] == 200, "an outage does not pull replicas out"
            rounds += 1
            time.sleep(0.5)
        assert c.ddb.proc.poll() is not None
        for srv in c.replicas:
            assert metric(srv, "credvend_role_sync_age_seconds") > OUTAGE_S - 5, "the sync age grows"
        print(f"\nDynamoDB outage: {OUTAGE_S} s ({OUTAGE_S // 2} s hung, then killed), "
              f"{rounds * len(ids) * len(c.replicas)} vends on {len(c.replicas)} replicas, all served")
    finally:
        if c.ddb.proc.poll() is None:
            c.ddb.proc.kill()
            c.ddb.proc.wait(timeout=10)

    # Restarted on the same port, same keys, no table: ResourceNotFound changes nothing.
    c.ddb = MotoPeer(procs, port=c.ddb.port, table=False, expect_key=c.ddb.key)
    c.ddb.enforce_signatures()
    for srv in c.replicas:
        wait_until(lambda: metric(srv, "credvend_role_syncs_total", '{outcome="table_missing"}') >= 1, 10,
                   "a sync that finds no table")
    time.sleep(INTERVAL * 1.5)
    for srv in c.replicas:
        assert metric(srv, "credvend_role_mappings") == 4
        for cid in ids:
            assert credentials_ok(c.vend(srv.url, cid))

    # The table recreated empty: the mass-delete guard refuses it.
    c.ddb.create_table()
    for srv in c.replicas:
        wait_until(lambda: metric(srv, "credvend_role_syncs_total", '{outcome="refused"}') >= 1, 5,
                   "the mass-delete guard")
        assert "roles table sync refused" in srv.log()
        for cid in ids:
            assert credentials_ok(c.vend(srv.url, cid))

    # Three of four written back: one removal passes, and the age is small again.
    table = c.ddb.writer()
    for cid in ids[:3]:
        table.put_item(TableName=TABLE, Item=seed_item(cid))
    for srv in c.replicas:
        wait_until(lambda: metric(srv, "credvend_role_mappings") == 3, BOUND + 0.5, "recovered")
        assert metric(srv, "credvend_role_sync_age_seconds") < BOUND
        assert c.vend(srv.url, ids[3])[0] == 403


def test_without_an_earlier_store_a_replica_is_not_ready_while_dynamodb_is_down(procs, tmp_path, issuer):
    cid = client_id(5)
    c = Cluster(procs, tmp_path, issuer, items=[seed_item(cid), seed_item(client_id(6))], replicas=1)
    first = c.replicas[0]
    db = first.db
    first.proc.send_signal(signal.SIGTERM)
    first.proc.wait(timeout=10)
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: DynamoDB is down

    fresh = c.replica(endpoint=dead, wait_ready=False)
    time.sleep(1.5)
    st, _, body = http(fresh.url + "/readyz")
    assert st == 503 and any("no complete snapshot" in m for m in body["missing"]), body
    assert c.vend(fresh.url, cid)[0] == 403

    earlier = c.replica(db=db, endpoint=dead, wait_ready=False)
    earlier.wait_ready(5)
    assert credentials_ok(c.vend(earlier.url, cid))
    wait_until(lambda: metric(earlier, "credvend_role_syncs_total", '{outcome="network_error"}') >= 1, 5,
               "a failed sync counted")
    assert credentials_ok(c.vend(earlier.url, cid)), "still serving after the failed sync"


def test_past_max_staleness_a_replica_is_not_ready_and_refuses_to_vend(procs, tmp_path, issuer):
    cid = client_id(7)
    c = Cluster(procs, tmp_path, issuer, items=[seed_item(cid)], replicas=1, extra_args=["--roles-max-staleness", "2"])
    srv = c.replicas[0]
    assert credentials_ok(c.vend(srv.url, cid))
    c.ddb.proc.kill()
    c.ddb.proc.wait(timeout=10)
    wait_until(lambda: http(srv.url + "/readyz")[0] == 503, 6, "not ready once stale")
    st, hdrs, body = c.vend(srv.url, cid)
    assert st == 503 and body["error"] == "unavailable" and "roles-max-staleness" in body["message"], body


def test_an_invalid_item_is_skipped_and_its_previous_version_kept(procs, tmp_path, issuer):
    good, other = client_id(8), client_id(9)
    c = Cluster(procs, tmp_path, issuer, items=[seed_item(good), seed_item(other)], replicas=1)
    srv = c.replicas[0]
    before = c.role_of(srv, good)
    bad = seed_item(good, "changed")
    bad["session_duration_s"] = {"S": "3600"}  # a string where a number belongs
    c.table.put_item(TableName=TABLE, Item=bad)
    c.table.put_item(TableName=TABLE, Item=seed_item(other, "other-changed"))
    wait_until(lambda: c.role_of(srv, other) == f"arn:aws:iam::{ACCOUNT}:role/other-changed", BOUND + 0.5,
               "the valid edit beside it")
    assert c.role_of(srv, good) == before
    assert metric(srv, "credvend_role_items_skipped") == 1
    line = next(l for l in srv.log().splitlines() if "roles table item skipped" in l)
    assert good in line and "session_duration_s" in line
    assert credentials_ok(c.vend(srv.url, good))


def header(hdrs: dict, name: str):
    return next((v for k, v in hdrs.items() if k.lower() == name), None)


def test_two_writers_racing_on_one_item_lose_no_update(procs, tmp_path, issuer):
    """Two writers, each 100 read-modify-writes of one item: a consistent read of the item's
    version from the table, then a PUT with If-Match through its own replica's admin API.
    Every attempt is a success or a 409 conflict, and the final version is the start plus
    the successes: no update is lost."""
    cid = client_id(11)
    c = Cluster(procs, tmp_path, issuer, items=[seed_item(cid)], replicas=2, writing=True)
    start = 0  # the seed's item has no version
    counts = [{"ok": 0, "conflict": 0, "other": []} for _ in range(2)]

    def writer(w: int):
        srv, table = c.replicas[w], c.ddb.writer()
        for n in range(100):
            item = table.get_item(TableName=TABLE, Key={"client_id": {"S": cid}}, ConsistentRead=True)["Item"]
            etag = '"%s"' % item.get("version", {"N": "0"})["N"]
            record = {"client_id": cid, "role_arn": f"arn:aws:iam::{ACCOUNT}:role/w{w}-{n}"}
            st, _, body = http(f"{srv.url}/admin/v1/roles/{cid}", method="PUT", body=json.dumps(record).encode(),
                               headers=c.admin_auth({"If-Match": etag}))
            if st == 200:
                counts[w]["ok"] += 1
            elif st == 409 and body.get("error") == "conflict":
                counts[w]["conflict"] += 1
            else:
                counts[w]["other"].append((st, body))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(2)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    took = time.monotonic() - started
    assert not counts[0]["other"] and not counts[1]["other"], counts
    ok = counts[0]["ok"] + counts[1]["ok"]
    conflicts = counts[0]["conflict"] + counts[1]["conflict"]
    item = c.table.get_item(TableName=TABLE, Key={"client_id": {"S": cid}}, ConsistentRead=True)["Item"]
    print(f"\ntwo-writer race: {ok} successes + {conflicts} conflicts = {ok + conflicts} "
          f"(writer 0: {counts[0]['ok']}/{counts[0]['conflict']}, writer 1: {counts[1]['ok']}/{counts[1]['conflict']}), "
          f"final version {item['version']['N']} (start {start}), {took:.1f} s")
    assert ok + conflicts == 200
    assert int(item["version"]["N"]) == start + ok, "no lost update"
    assert conflicts > 0 and ok > 0


def test_a_stale_read_through_the_admin_api_is_a_conflict_and_exit_code_3(procs, tmp_path, issuer):
    """`roles --admin-url` against a replica whose copy is older than the table: the ETag it
    read is stale, the write is refused with 409 conflict, the CLI exits 3, nothing changes."""
    cid = client_id(12)
    c = Cluster(procs, tmp_path, issuer, items=[seed_item(cid)], replicas=1, writing=True,
                extra_args=["--roles-sync-interval", "3600"])  # the last value wins: no sync during the test
    srv = c.replicas[0]
    changed = dict(seed_item(cid, "changed-by-terraform"), version={"N": "5"})
    c.table.put_item(TableName=TABLE, Item=changed)
    token = tmp_path / "admin.token"
    token.write_text(c.admin_token + "\n")
    os.chmod(token, 0o600)
    r = run_cli("roles", "--admin-url", srv.url, "--admin-token-file", str(token), "put", cid,
                "--role-arn", f"arn:aws:iam::{ACCOUNT}:role/lost")
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert "conflict" in r.stderr and "version 0" in r.stderr, r.stderr
    item = c.table.get_item(TableName=TABLE, Key={"client_id": {"S": cid}}, ConsistentRead=True)["Item"]
    assert item == changed


# --- credvend roles --table: every subcommand, migration both ways -----------------------

def table_cli(ddb: MotoPeer, *args, key=None, input=None):
    key = key or ddb.writer_key
    env = {"AWS_ACCESS_KEY_ID": key[0], "AWS_SECRET_ACCESS_KEY": key[1], "AWS_REGION": "us-east-1"}
    env.update({"CREDVEND_ROLES_TABLE": "", "AWS_SESSION_TOKEN": "", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"})
    return run_cli("roles", "--table", TABLE, "--dynamodb-endpoint", ddb.url, *args, env=env, input=input)


def test_roles_table_every_subcommand_and_migration_both_ways(procs, tmp_path):
    ddb = MotoPeer(procs)
    ddb.enforce_signatures()
    table = ddb.writer()
    tf = client_id(20)
    table.put_item(TableName=TABLE, Item=seed_item(tf))  # as Terraform writes it
    arn = f"arn:aws:iam::{ACCOUNT}:role/cli"
    a, b = client_id(21), client_id(22)

    r = table_cli(ddb, "put", a, "--role-arn", arn, "--bucket", "oidc-s3-dev", "--s3-path-prefix", "a/")
    assert r.returncode == 0, r.stderr
    item = table.get_item(TableName=TABLE, Key={"client_id": {"S": a}}, ConsistentRead=True)["Item"]
    assert item["version"] == {"N": "1"} and item["bucket"] == {"S": "oidc-s3-dev"}
    assert table_cli(ddb, "put", a, "--role-arn", arn + "-2").returncode == 0
    assert table.get_item(TableName=TABLE, Key={"client_id": {"S": a}})["Item"]["version"] == {"N": "2"}

    r = table_cli(ddb, "get", a)
    assert r.returncode == 0 and json.loads(r.stdout)["role_arn"] == arn + "-2", r.stderr
    assert table_cli(ddb, "get", b).returncode == 1
    r = table_cli(ddb, "--roles-default-bucket", "oidc-s3-dev", "get", tf)
    assert json.loads(r.stdout)["s3_path_prefix"] == seed_item(tf)["s3_path_prefix"]["S"], "seed items read as a replica reads them"
    listed = [json.loads(l) for l in table_cli(ddb, "list").stdout.splitlines()]
    assert sorted(x["client_id"] for x in listed) == sorted([a, tf])

    r = table_cli(ddb, "put", b, "--role-arn", arn, key=ddb.key)  # the replicas' key: Scan only
    assert r.returncode == 2 and "HTTP 403" in r.stderr and r.stderr.count("\n") == 1, r.stderr

    assert table_cli(ddb, "delete", tf).returncode == 0, "a Terraform item (no version) is at version 0"
    assert table_cli(ddb, "delete", tf).returncode == 1

    # --db -> --table: export | import --replace, the table's items replaced in one transaction.
    db = tmp_path / "db"
    records = [{"client_id": client_id(30 + n), "role_arn": f"arn:aws:iam::{ACCOUNT}:role/m{n}",
                "bucket": "oidc-s3-dev", "s3_path_prefix": f"m{n}/"} for n in range(5)]
    src = tmp_path / "roles.json"
    src.write_text(json.dumps(records))
    assert run_cli("roles", "--db", str(db), "import", str(src)).returncode == 0
    exported = run_cli("roles", "--db", str(db), "export")
    r = table_cli(ddb, "import", "--replace", "-", input=exported.stdout)
    assert r.returncode == 0 and "5 added, 0 updated, 0 unchanged, 1 removed" in r.stderr, r.stderr
    assert table_cli(ddb, "export").stdout == exported.stdout
    r = table_cli(ddb, "import", "-", input=exported.stdout)
    assert r.returncode == 0 and "0 added, 0 updated, 5 unchanged" in r.stderr, r.stderr
    versions = {i["client_id"]["S"]: i["version"]["N"] for i in table.scan(TableName=TABLE)["Items"]}
    assert sorted(versions.values()) == ["1"] * 5, versions

    # --table -> --db: the reverse, into a fresh store.
    back = tmp_path / "back"
    r = run_cli("roles", "--db", str(back), "import", "-", input=table_cli(ddb, "export").stdout)
    assert r.returncode == 0, r.stderr
    assert run_cli("roles", "--db", str(back), "export").stdout == exported.stdout
