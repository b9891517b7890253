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
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from conftest import free_port, wait_for_port
from e2elib import ACCOUNT, Serve, http

TABLE = "client_roles"
INTERVAL = 1  # --roles-sync-interval in these tests; jitter makes a wait up to 1.2 s
BOUND = INTERVAL * 1.2 + 1.0  # a change is seen within one interval, plus 1 s
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
    """moto_server with signature checks on. Its random generator is seeded first, so
    the IAM user `credvend` (created first) has the same keys in every such process:
    the replicas' one source-credential chain signs for both DynamoDB and STS, and a
    restarted DynamoDB knows the keys the replicas started with."""

    def __init__(self, procs, port=None, table=True, writer=True, policy_actions=("dynamodb:Scan",),
                 expect_key=None):
        self.procs = procs
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = procs.start(["moto_server", "-H", "127.0.0.1", "-p", str(self.port)],
                                env={"INITIAL_NO_AUTH_ACTION_COUNT": "inf"}, name=f"moto-{self.port}")
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

    def __init__(self, procs, tmp: Path, issuer, items=(), replicas=3, extra_args=(), nginx=False):
        self.procs, self.tmp, self.issuer = procs, tmp, issuer
        self.ddb = MotoPeer(procs)
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


def test_edits_are_seen_by_every_replica_within_the_interval_plus_one_second(procs, tmp_path, issuer):
    ids = [client_id(n) for n in range(4)]
    c = Cluster(procs, tmp_path, issuer, items=[seed_item(i) for i in ids])
    delays = []
    for n in range(12):
        cid = ids[n % len(ids)]
        role = f"edited-{n}"
        written = time.monotonic()
        c.table.put_item(TableName=TABLE, Item=seed_item(cid, role))
        want = f"arn:aws:iam::{ACCOUNT}:role/{role}"
        pending = set(range(len(c.replicas)))
        while pending and time.monotonic() - written < BOUND + 2:
            for i in list(pending):
                if c.role_of(c.replicas[i], cid) == want:
                    delays.append(time.monotonic() - written)
                    pending.discard(i)
            time.sleep(0.02)
        assert not pending, f"edit {n} not seen by replicas {pending}"
    delays.sort()
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(f"\nedit visibility over {len(delays)} replica-edits: p50 {delays[len(delays) // 2]:.2f} s, "
          f"p99 {p99:.2f} s, max {delays[-1]:.2f} s (bound {BOUND:.1f} s)")
    assert delays[-1] <= BOUND + 0.3, delays  # 0.3 s: polling and admin-API reads


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

def test_dynamodb_outage_restart_without_table_and_empty_table_change_nothing(procs, tmp_path, issuer):
    ids = [client_id(n) for n in range(4)]
    c = Cluster(procs, tmp_path, issuer, items=[seed_item(i) for i in ids], replicas=2)
    for srv in c.replicas:
        wait_until(lambda: metric(srv, "credvend_role_sync_age_seconds") < 2, 5, "a first sync")

    c.ddb.proc.send_signal(signal.SIGSTOP)
    try:
        stopped = time.monotonic()
        while time.monotonic() - stopped < 4:
            for srv in c.replicas:
                for cid in ids:
                    assert credentials_ok(c.vend(srv.url, cid)), "vending goes on from the local copy"
            time.sleep(0.2)
        for srv in c.replicas:
            assert metric(srv, "credvend_role_sync_age_seconds") > 3, "the sync age grows"
            assert http(srv.url + "/readyz")[0] == 200, "an outage does not pull replicas out"
    finally:
        c.ddb.proc.send_signal(signal.SIGCONT)
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


def test_a_replicas_admin_api_refuses_role_writes(procs, tmp_path, issuer):
    cid = client_id(10)
    c = Cluster(procs, tmp_path, issuer, items=[seed_item(cid)], replicas=1)
    srv = c.replicas[0]
    before = c.role_of(srv, cid)
    auth = {"Authorization": f"Bearer {c.admin_token}", "Content-Type": "application/json"}
    record = json.dumps({"client_id": cid, "role_arn": f"arn:aws:iam::{ACCOUNT}:role/local-edit"}).encode()
    for method, path, body in [("PUT", f"/admin/v1/roles/{cid}", record), ("DELETE", f"/admin/v1/roles/{cid}", None)]:
        st, _, err = http(srv.url + path, method=method, body=body, headers=auth)
        assert st == 409 and err["error"] == "conflict" and TABLE in err["message"], (method, err)
    assert c.role_of(srv, cid) == before
