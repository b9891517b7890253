#!/usr/bin/env python3
"""`load-tests/run replica-sync` (load-tests/README.md): a replica syncing a 100,000-item
roles table, and what vending on it sees meanwhile.

moto_server answers one Scan page of a 20,000-item table in about 10 s, so the table is
served by a stub (`replica_sync.py stub`, its own process so that its work never holds
the measuring client's interpreter): a threaded HTTP server answering
`X-Amz-Target: DynamoDB_20120810.Scan` as DynamoDB does, with pages of at most 1 MB of
item data (attribute names and values), `LastEvaluatedKey` / `ExclusiveStartKey`,
`Count`, `ScannedCount` and `x-amz-crc32`. It refuses what DynamoDB refuses and it can
see: no or a malformed SigV4 `Authorization`, a credential scope not for `dynamodb` or
another region, a stale `X-Amz-Date`, a signature botocore does not compute the same
(`SigV4Auth` with the shared secret), a content type other than
`application/x-amz-json-1.0`, another operation, another table, a start key that is not
one; and, for this test, a Scan without `ConsistentRead: true`. Items are seed-shaped
(`client_id`, `role_arn`, `server_name`, `s3_path_prefix`, `bucket`). Modes, switched by
the driver (`POST /_control`): `missing` (ResourceNotFoundException), `static` (the same
items every scan: the replica's digest finds nothing changed) and `churn` (each scan a
new generation: `--churn` items get a new `s3_path_prefix`, and the previous
generation's revert, so every sync applies; the clients being vended are never among
them, so their cached credentials stay and no STS call enters the figures).

The driver (`replica_sync.py measure`) starts the stub (table missing), dev-idp, an STS
(moto_server unless --sts-endpoint) and `credvend serve --roles-table` with a short
--roles-sync-interval and an empty LMDB; samples the server's RSS, makes the table
appear and times the first full sync; then, after a warm-up, sends repeated tokens of
--clients mapped clients (the hot path) at a fixed --rate on --connections kept-alive
connections (open loop: a request that waits for a slow answer on its connection is
charged from when it was due), for --duration s with the table unchanged and
--duration s with it churning. /metrics is polled every 0.1 s: a sync runs from the
stub's first page request until `credvend_role_syncs_total` counts it. Each request
whose time in flight overlaps a sync is "during sync", the rest "no sync"; the JSON
(--out) and the table printed give both sides of each phase, the syncs' durations and
the server's VmRSS / VmHWM / RssAnon at each step. Loopback only, bounded by time,
every process stopped by PID.
"""

import argparse
import asyncio
import concurrent.futures
import datetime
import hashlib
import hmac
import http.client
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TABLE = "client_roles"
REGION = "us-east-1"
ACCOUNT = "123456789012"
PAGE_LIMIT = 1 << 20  # DynamoDB's 1 MB of item data per Scan page
TARGET = "DynamoDB_20120810.Scan"
JSON10 = "application/x-amz-json-1.0"
AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r" ?SignedHeaders=(?P<signed>[a-z0-9;-]+), ?Signature=(?P<sig>[0-9a-f]{64})"
)


def client_id(n: int) -> str:
    """26 characters, as a Cognito app client id (tests/e2e/test_replicas.py's shape)."""
    return f"{n % 100:02d}" + hashlib.sha256(str(n).encode()).hexdigest()[:24]


# ---------------------------------------------------------------- the DynamoDB stub


class Table:
    """The items, pre-rendered as DynamoDB JSON, and the scan state."""

    def __init__(self, count: int, protected: int, churn: int):
        self.ids = sorted(client_id(n) for n in range(count))
        self.index = {cid: i for i, cid in enumerate(self.ids)}
        # The clients the driver vends for (never churned): the first `protected` ids by number.
        keep = {client_id(n) for n in range(protected)}
        self.churnable = [i for i, cid in enumerate(self.ids) if cid not in keep]
        self.churn = min(churn, len(self.churnable))
        self.rendered = [self.render(cid, None) for cid in self.ids]
        self.mode = "missing"
        self.generation = 0
        self.changed: dict[int, int] = {}  # item index -> generation, for the scan in progress
        self.kept: dict[int, tuple] = {}  # start index -> a page without changed items
        self.lock = threading.Lock()
        self.scans: list[dict] = []
        self.refused: list[str] = []

    @staticmethod
    def render(cid: str, generation: int | None) -> tuple[str, int]:
        """(the item's JSON, its DynamoDB size: attribute names plus values, in bytes)."""
        short = cid[:8]
        attrs = {
            "client_id": cid,
            "role_arn": f"arn:aws:iam::{ACCOUNT}:role/oidc-s3-dev-{short}",
            "server_name": f"server-{short}",
            "s3_path_prefix": f"backups/server-{short}/" + (f"g{generation}/" if generation else ""),
            "bucket": "oidc-s3-dev",
        }
        text = "{" + ",".join(f'"{k}":{{"S":"{v}"}}' for k, v in attrs.items()) + "}"
        return text, sum(len(k) + len(v.encode()) for k, v in attrs.items())

    def begin_scan(self, now: float) -> None:
        """A Scan without ExclusiveStartKey: in churn mode the table moves to a new generation."""
        if self.mode == "churn":
            self.generation += 1
            n = len(self.churnable)
            start = (self.generation * self.churn) % n
            picked = [self.churnable[(start + k) % n] for k in range(self.churn)]
            self.changed = {i: self.generation for i in picked}
        self.scans.append({"start": now, "end": None, "pages": 0, "items": 0, "bytes": 0,
                           "mode": self.mode, "generation": self.generation, "changed_items": len(self.changed)})

    def item(self, i: int) -> tuple[str, int]:
        generation = self.changed.get(i)
        return self.rendered[i] if generation is None else self.render(self.ids[i], generation)

    def page(self, start: int, limit: int | None) -> tuple[bytes, int, int, str | None]:
        """Items from index `start` up to 1 MB of item data (and `limit` items): (their JSON,
        joined; how many; their size; the last key, or None when the table ends there). A
        page with no changed item is kept and served again: the stub's own CPU shares the
        machine with the server measured, so it does as little as it can."""
        kept = self.kept.get(start) if limit is None else None
        if kept and not any(start <= i < kept[4] for i in self.changed):
            return kept[:4]
        texts, size, i = [], 0, start
        while i < len(self.ids) and (limit is None or len(texts) < limit):
            text, n = self.item(i)
            if texts and size + n > PAGE_LIMIT:
                break
            texts.append(text)
            size += n
            i += 1
        page = (",".join(texts).encode(), len(texts), size, self.ids[i - 1] if i < len(self.ids) else None)
        if limit is None and not any(start <= j < i for j in self.changed):
            self.kept[start] = page + (i,)
        return page


def aws_error(kind: str, message: str, status: int = 400) -> tuple[int, dict]:
    return status, {"__type": kind, "message": message}


class StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    table: Table
    secret: str
    access_key: str

    def log_message(self, *args):
        pass

    def reply(self, status: int, payload: dict | bytes) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", JSON10)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", hashlib.md5(body).hexdigest())
        self.send_header("x-amz-crc32", str(zlib.crc32(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != "/_stats":
            return self.reply(404, {"message": "not found"})
        with self.table.lock:
            self.reply(200, {"scans": self.table.scans, "refused": self.table.refused})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/_control":
            with self.table.lock:
                self.table.mode = json.loads(body)["mode"]
            return self.reply(200, {"mode": self.table.mode})
        arrived = time.monotonic()
        status, payload = self.scan(body, arrived)
        if status != 200:
            with self.table.lock:
                if payload["__type"].endswith("ResourceNotFoundException"):
                    self.table.scans.append({"start": arrived, "end": arrived, "mode": "missing"})
                else:
                    self.table.refused.append(f"{status} {payload['__type']}: {payload['message']}")
        self.reply(status, payload)
        if status == 200:
            with self.table.lock:
                scan = self.table.scans[-1]
                scan["end"] = time.monotonic()

    def signature_problem(self, body: bytes) -> str | None:
        """What DynamoDB would say about the SigV4 signature, or None when botocore computes the same."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        m = AUTH.fullmatch(self.headers.get("Authorization", ""))
        if not m:
            return "no SigV4 Authorization header"
        if m["key"] != self.access_key:
            return f"unknown access key {m['key']}"
        if m["service"] != "dynamodb" or m["region"] != REGION:
            return f"credential scope {m['region']}/{m['service']}, not {REGION}/dynamodb"
        amz_date = self.headers.get("X-Amz-Date", "")
        try:
            signed_at = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            return "no X-Amz-Date"
        if amz_date[:8] != m["date"] or abs(time.time() - signed_at.timestamp()) > 900:
            return "Signature expired or dated outside its scope"
        names = m["signed"].split(";")
        if "host" not in names or "x-amz-date" not in names:
            return "host and x-amz-date must be signed"
        headers = {name: self.headers.get(name, "") for name in names}
        request = AWSRequest(method=self.command, url=f"http://{headers['host']}{self.path}", data=body, headers=headers)
        request.context["timestamp"] = amz_date
        token = self.headers.get("X-Amz-Security-Token")
        signer = SigV4Auth(Credentials(self.access_key, self.secret, token), "dynamodb", REGION)
        expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        if not hmac.compare_digest(expected, m["sig"]):
            return "The request signature we calculated does not match the signature you provided"
        return None

    def scan(self, body: bytes, arrived: float) -> tuple[int, dict | bytes]:
        if self.headers.get("Content-Type") != JSON10:
            return aws_error("com.amazon.coral.service#UnknownOperationException", "content type is not " + JSON10)
        if self.headers.get("X-Amz-Target") != TARGET:
            return aws_error("com.amazon.coral.service#UnknownOperationException", "only Scan is served")
        if problem := self.signature_problem(body):
            kind = "MissingAuthenticationTokenException" if problem.startswith("no SigV4") else "InvalidSignatureException"
            return aws_error("com.amazon.coral.service#" + kind, problem)
        try:
            request = json.loads(body)
        except ValueError:
            return aws_error("com.amazon.coral.service#SerializationException", "the body is not JSON")
        table = self.table
        with table.lock:
            if table.mode == "missing":
                return aws_error("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                                 "Requested resource not found")
            if request.get("TableName") != TABLE:
                return aws_error("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                                 "Requested resource not found")
            if request.get("ConsistentRead") is not True:
                return aws_error("com.amazon.coral.validate#ValidationException",
                                 "stub: a replica's Scan must be ConsistentRead")
            start_key = request.get("ExclusiveStartKey")
            if start_key is None:
                table.begin_scan(arrived)
                start = 0
            else:
                key = start_key.get("client_id", {}).get("S") if isinstance(start_key, dict) else None
                if key not in table.index or len(start_key) != 1:
                    return aws_error("com.amazon.coral.validate#ValidationException",
                                     "The provided starting key is invalid")
                start = table.index[key] + 1
            limit = request.get("Limit")
            if limit is not None and (not isinstance(limit, int) or limit < 1):
                return aws_error("com.amazon.coral.validate#ValidationException", "Limit must be at least 1")
            items, count, size, last = table.page(start, limit)
            scan = table.scans[-1]
            scan["pages"] += 1
            scan["items"] += count
            scan["bytes"] += size
        more = b',"LastEvaluatedKey":{"client_id":{"S":"%s"}}' % last.encode() if last is not None else b""
        return 200, b'{"Count":%d,"Items":[%s]%s,"ScannedCount":%d}' % (count, items, more, count)


def run_stub(args) -> None:
    StubHandler.table = Table(args.items, args.protected, args.churn)
    StubHandler.secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    StubHandler.access_key = os.environ["AWS_ACCESS_KEY_ID"]
    server = ThreadingHTTPServer(("127.0.0.1", args.port), StubHandler)
    server.daemon_threads = True
    print(f"dynamodb stub: {args.items} items; listening on 127.0.0.1:{server.server_address[1]}",
          file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


# ---------------------------------------------------------------- the driver


class Procs:
    """Every process started, stopped by its PID (SIGTERM, then SIGKILL after 5 s)."""

    def __init__(self, work: Path):
        self.work = work
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, argv: list[str], env: dict | None = None, listening=True) -> tuple[subprocess.Popen, int]:
        log = self.work / f"{name}.log"
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(log, "wb"),
                                env={**os.environ, **(env or {})})
        self.started.append(proc)
        if not listening:
            return proc, 0
        deadline = time.monotonic() + 60
        pattern = re.compile(rb"(?:listening on |Running on http://)[0-9.]*:(\d+)")
        while time.monotonic() < deadline:
            if m := pattern.search(log.read_bytes()):
                return proc, int(m[1])
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited: {log.read_text()[-2000:]}")
            time.sleep(0.05)
        raise SystemExit(f"{name} did not start listening: {log.read_text()[-2000:]}")

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.started:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def proc_status(pid: int) -> dict:
    """VmRSS, VmHWM, RssAnon, RssFile in MiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[name] = round(int(value.split()[0]) / 1024, 1)
    return out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def post_json(port: int, path: str, payload: dict) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", path, json.dumps(payload), {"Content-Type": "application/json"})
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


APPLIED = re.compile(r"roles table applied changed=(\d+) ms=(\d+)")
SYNCS = re.compile(rb'^credvend_role_syncs_total\{outcome="(\w+)"\} (\d+)', re.M)


class Watcher(threading.Thread):
    """Polls /metrics every 0.1 s (one kept-alive connection) and the server's RSS every
    second: when each sync was counted, and with which outcome."""

    def __init__(self, port: int, pid: int):
        super().__init__(daemon=True)
        self.port, self.pid = port, pid
        self.counted: list[tuple[float, str]] = []  # (when seen, outcome)
        self.rss: list[tuple[float, dict]] = []
        self.stopping = threading.Event()
        self.since = float("inf")  # the baseline poll: syncs that began before it are not matched

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        last: dict[str, int] | None = None  # the first poll is the baseline
        tick = 0
        while not self.stopping.wait(0.1):
            try:
                conn.request("GET", "/metrics")
                text = conn.getresponse().read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                continue
            now = time.monotonic()
            counts = {m[1].decode(): int(m[2]) for m in SYNCS.finditer(text)}
            if last is None:
                self.since = now
            else:
                for outcome, n in counts.items():
                    self.counted.extend([(now, outcome)] * (n - last.get(outcome, 0)))
            last = counts
            tick += 1
            if tick % 10 == 0:
                self.rss.append((now, proc_status(self.pid)))
        conn.close()


def credential_request(port: int, token: str) -> bytes:
    body = json.dumps({"access_token": token}).encode()
    return (f"POST /v1/credentials HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: replica-sync\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    await reader.readexactly(int(length[1]) if length else 0)
    return status


async def open_loop(port: int, requests: list[bytes], rate: float, connections: int, seconds: float) -> list[tuple]:
    """(due, latency, status) per request. Connection c sends at due times c/rate + k·connections/rate.
    Latency runs from the send, or from the due time when the connection was still waiting
    for the previous answer then (a stall is charged to every request it delays)."""
    results: list[tuple] = []
    t0 = time.monotonic() + 0.2
    end = t0 + seconds
    period = connections / rate

    async def one(c: int):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        k, free_at = 0, 0.0
        while (due := t0 + c / rate + k * period) < end:
            if (wait := due - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            # Busy past the due time: the server's delay, charged from then; otherwise from the
            # send (the event loop's timer lag is the client's, not the server's).
            start = due if free_at > due else time.monotonic()
            writer.write(requests[(c + k * connections) % len(requests)])
            try:
                status = await read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                status = 0
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            free_at = time.monotonic()
            results.append((due, free_at - start, status))
            k += 1
        writer.close()

    await asyncio.gather(*(one(c) for c in range(connections)))
    return results


def percentiles(latencies: list[float]) -> dict:
    if not latencies:
        return {"requests": 0}
    xs = sorted(latencies)

    def q(p):
        return round(xs[min(len(xs) - 1, int(p * len(xs)))] * 1000, 3)

    return {"requests": len(xs), "p50_ms": q(0.50), "p90_ms": q(0.90), "p99_ms": q(0.99),
            "p99_9_ms": q(0.999), "max_ms": round(xs[-1] * 1000, 3)}


def sync_windows(scans: list[dict], counted: list[tuple[float, str]]) -> list[dict]:
    """Each scan with the first count seen after its last page: [start, counted]; one not
    counted by the end (still running) lasts to the end."""
    windows, pending = [], list(counted)
    for scan in scans:
        if scan.get("mode") == "missing":
            continue
        later = [c for c in pending if scan["end"] is not None and c[0] >= scan["end"]]
        if not later:
            windows.append({**scan, "counted": float("inf"), "outcome": "unfinished"})
            continue
        seen, outcome = later[0]
        pending.remove(later[0])
        windows.append({**scan, "counted": seen, "outcome": outcome,
                        "scan_s": round(scan["end"] - scan["start"], 3),
                        "sync_s": round(seen - scan["start"], 3)})
    return windows


def split(results: list[tuple], windows: list[dict]) -> dict:
    """Requests in flight during a sync or not; those during one also by part: while its
    pages arrive (and are parsed), or after the last (digest, mapping, the LMDB write)."""
    parts = {"no_sync": [], "during_sync": [], "during_scan": [], "after_last_page": []}
    failed = 0
    for due, latency, status in results:
        failed += status != 200
        done = due + latency
        scan = any(due < (w["end"] or float("inf")) and done > w["start"] for w in windows)
        after = any(w["end"] is not None and due < w["counted"] and done > w["end"] for w in windows)
        parts["during_sync" if scan or after else "no_sync"].append(latency)
        if scan:
            parts["during_scan"].append(latency)
        if after:
            parts["after_last_page"].append(latency)
    return {**{k: percentiles(v) for k, v in parts.items()}, "non_200": failed}


ACCESS = re.compile(r"^(\S+)Z INFO \S+ request .*path=/v1/credentials .* us=(\d+)$", re.M)


def server_times(log: str, offset: float, lo: float, hi: float, windows: list[dict]) -> dict:
    """The server's own time per vending request (the access log's `us`), split as `split`
    does by the time it was logged (the log's wall clock less `offset` = wall - monotonic):
    what the machine's other work does to the client does not enter these."""
    during, outside = [], []
    for m in ACCESS.finditer(log):
        wall = datetime.datetime.fromisoformat(m[1]).replace(tzinfo=datetime.timezone.utc).timestamp()
        done = wall - offset
        if not lo <= done < hi:
            continue
        seconds = int(m[2]) / 1e6
        busy = any(done - seconds < w["counted"] and done > w["start"] for w in windows)
        (during if busy else outside).append(seconds)
    return {"no_sync": percentiles(outside), "during_sync": percentiles(during)}


def mint_tokens(credvend: str, key: Path, issuer: str, n: int) -> list[str]:
    def mint(i):
        argv = [credvend, "dev-idp", "mint", "--key", str(key), "--client-id", client_id(i), "--issuer", issuer,
                "--ttl", "7200"]
        return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=30).stdout.strip()

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        return list(pool.map(mint, range(n)))


def say(text: str) -> None:
    print(f"== {text}", file=sys.stderr, flush=True)


def measure(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="credvend-replica-sync."))
    procs = Procs(work)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return run_measurement(args, work, procs)
    finally:
        procs.stop_all()
        if args.keep_work:
            print(f"work directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def run_measurement(args, work: Path, procs: Procs) -> dict:
    env = {"AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "AKIAREPLICASYNC00000"),
           "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "replica-sync-secret")}
    say(f"DynamoDB stub: {args.items} items (table missing until the server is sampled)")
    _, stub_port = procs.start("dynamodb-stub", [sys.executable, __file__, "stub", "--items", str(args.items),
                                                 "--protected", str(args.clients), "--churn", str(args.churn)], env)
    (work / "idp-clients.json").write_text('[{"client_id": "x", "client_secret": "x", "scopes": ["credvend/write"]}]')
    _, idp_port = procs.start("dev-idp", [args.credvend, "dev-idp", "--listen", "127.0.0.1:0", "--clients",
                                          str(work / "idp-clients.json"), "--key", str(work / "idp-key.pem")])
    issuer = f"http://127.0.0.1:{idp_port}"
    sts = args.sts_endpoint
    if not sts:
        _, sts_port = procs.start("sts", ["moto_server", "-H", "127.0.0.1", "-p", "0"],
                                  {"INITIAL_NO_AUTH_ACTION_COUNT": "inf"})
        sts = f"http://127.0.0.1:{sts_port}"
    say(f"minting {args.clients} tokens")
    tokens = mint_tokens(args.credvend, work / "idp-key.pem", issuer, args.clients)

    say(f"credvend serve --roles-table {TABLE} --roles-sync-interval {args.interval}")
    serve_argv = [args.credvend, "serve", "--listen", "127.0.0.1:0", "--db", str(work / "db"), "--issuer", issuer,
                  "--sts-endpoint", sts, "--region", REGION, "--threads", str(args.threads),
                  "--per-address-connection-limit", "0", "--roles-table", TABLE,
                  "--dynamodb-endpoint", f"http://127.0.0.1:{stub_port}", "--roles-sync-interval", str(args.interval)]
    server, port = procs.start("serve", serve_argv, env)
    deadline = time.monotonic() + 30
    while not json.loads(get(stub_port, "/_stats")[1])["scans"]:
        if time.monotonic() > deadline:
            raise SystemExit("the server never scanned")
        time.sleep(0.05)
    time.sleep(0.5)
    rss = {"started": proc_status(server.pid)}
    post_json(stub_port, "/_control", {"mode": "static"})
    appeared = time.monotonic()
    deadline = appeared + args.interval * 1.2 + 120
    while get(port, "/readyz")[0] != 200:
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit("not ready: " + (work / "serve.log").read_text()[-2000:])
        time.sleep(0.05)
    ready = time.monotonic()
    rss["first_sync"] = proc_status(server.pid)
    first = json.loads(get(stub_port, "/_stats")[1])["scans"][-1]
    deadline = time.monotonic() + 10  # the log line follows readiness
    while not (applied := APPLIED.findall((work / "serve.log").read_text())) and time.monotonic() < deadline:
        time.sleep(0.05)
    first_sync = {"items": first["items"], "pages": first["pages"], "item_bytes": first["bytes"],
                  "scan_s": round(first["end"] - first["start"], 3),
                  "server_ms": int(applied[0][1]) if applied else None,
                  "changed": int(applied[0][0]) if applied else None,
                  "ready_after_s": round(ready - first["start"], 3)}
    say(f"first sync: {first_sync}")

    requests = [credential_request(port, t) for t in tokens]
    say(f"warm-up: {len(requests)} clients, one AssumeRole each")
    warm = asyncio.run(open_loop(port, requests, rate=100, connections=4, seconds=len(requests) / 100))
    if bad := [r for r in warm if r[2] != 200]:
        raise SystemExit(f"warm-up: {len(bad)} of {len(warm)} not 200: " + (work / "serve.log").read_text()[-1500:])
    rss["warm"] = proc_status(server.pid)

    offset = time.time() - time.monotonic()
    watcher = Watcher(port, server.pid)
    watcher.start()
    while watcher.since == float("inf"):
        time.sleep(0.05)
    phases = {}
    for phase in ("unchanged", "applied"):
        post_json(stub_port, "/_control", {"mode": "static" if phase == "unchanged" else "churn"})
        say(f"{phase}: {args.rate} req/s on {args.connections} connections for {args.duration} s")
        cpu0, t0 = cpu_seconds(server.pid), time.monotonic()
        results = asyncio.run(open_loop(port, requests, args.rate, args.connections, args.duration))
        phases[phase] = {"results": results, "cpu_s": round(cpu_seconds(server.pid) - cpu0, 2),
                         "span": (t0, time.monotonic())}
        rss[f"after_{phase}"] = proc_status(server.pid)
    watcher.stopping.set()
    watcher.join()
    stats = json.loads(get(stub_port, "/_stats")[1])
    if stats["refused"]:
        raise SystemExit("the stub refused requests DynamoDB would refuse: " + "; ".join(stats["refused"][:5]))
    windows = sync_windows([s for s in stats["scans"] if s["start"] > watcher.since], watcher.counted)
    applied_ms = [int(ms) for _, ms in APPLIED.findall((work / "serve.log").read_text())[1:]]
    report = {
        "scenario": "replica-sync", "started": args.started,
        "machine": {"cores": os.cpu_count(), "cpu": cpu_model(), "kernel": platform.release(),
                    "load_average_at_end": os.getloadavg()},
        "settings": {"items": args.items, "clients": args.clients, "rate": args.rate,
                     "connections": args.connections, "duration_s": args.duration,
                     "interval_s": args.interval, "churn_items": args.churn, "threads": args.threads, "sts": sts},
        "first_sync": first_sync, "rss_mib": rss,
        "rss_peak_during_phases_mib": max((r["VmRSS"] for _, r in watcher.rss), default=None),
        "rss_timeline_mib": [[round(t - watcher.since, 1), r["VmRSS"], r["RssAnon"]] for t, r in watcher.rss],
        "applied_server_ms": applied_ms,
        "phases": {},
    }
    log = (work / "serve.log").read_text()
    for phase, data in phases.items():
        lo, hi = data["span"]
        mine = [w for w in windows if lo <= w["start"] < hi and w["outcome"] != "unfinished"]
        report["phases"][phase] = {
            **split(data["results"], [w for w in windows if w["start"] < hi and w["counted"] > lo]),
            "server_us": server_times(log, offset, lo, hi, [w for w in windows if w["start"] < hi and w["counted"] > lo]),
            "server_cpu_s": data["cpu_s"],
            "syncs": [{k: w[k] for k in ("outcome", "scan_s", "sync_s", "pages", "items", "changed_items")}
                      for w in mine],
            "time_in_sync_s": round(sum(min(w["counted"], hi) - max(w["start"], lo) for w in mine), 2),
        }
    return report


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def table(report: dict) -> str:
    s, f = report["settings"], report["first_sync"]
    rss = report["rss_mib"]
    lines = [
        f"replica-sync: {s['items']} items, {s['clients']} clients at {s['rate']} req/s, "
        f"interval {s['interval_s']} s, churn {s['churn_items']} items per applied sync",
        f"first full sync: {f['items']} items in {f['pages']} pages ({f['item_bytes'] / 1e6:.1f} MB of item data): "
        f"scan {f['scan_s']:.2f} s, server {f['server_ms']} ms, ready {f['ready_after_s']:.2f} s after the first page",
        "RSS MiB (VmRSS / VmHWM / RssAnon): " + ", ".join(
            f"{k} {v['VmRSS']}/{v['VmHWM']}/{v['RssAnon']}" for k, v in rss.items()),
        "",
        f"{'phase':<10} {'requests':<16} {'n':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} "
        f"{'max ms':>8}",
    ]
    for phase, p in report["phases"].items():
        for side in ("no_sync", "during_sync", "during_scan", "after_last_page"):
            q = p[side]
            if not q["requests"]:
                lines.append(f"{phase:<10} {side:<16} {0:>6}")
                continue
            lines.append(f"{phase:<10} {side:<16} {q['requests']:>6} {q['p50_ms']:>8.2f} {q['p90_ms']:>8.2f} "
                         f"{q['p99_ms']:>8.2f} {q['p99_9_ms']:>9.2f} {q['max_ms']:>8.2f}")
        for side in ("no_sync", "during_sync"):
            q = p["server_us"][side]
            if q["requests"]:
                lines.append(f"{phase:<10} {'server ' + side:<16} {q['requests']:>6} {q['p50_ms']:>8.2f} "
                             f"{q['p90_ms']:>8.2f} {q['p99_ms']:>8.2f} {q['p99_9_ms']:>9.2f} {q['max_ms']:>8.2f}")
        syncs = p["syncs"]
        scan, total = [w["scan_s"] for w in syncs], [w["sync_s"] for w in syncs]
        outcomes = sorted({w["outcome"] for w in syncs})
        lines.append(f"{'':<10} {len(syncs)} syncs ({', '.join(outcomes)}): scan {min(scan, default=0):.2f}-"
                     f"{max(scan, default=0):.2f} s, whole sync {min(total, default=0):.2f}-{max(total, default=0):.2f} s"
                     f" (to 0.1 s); {p['time_in_sync_s']} s of {s['duration_s']} in sync; server CPU "
                     f"{p['server_cpu_s']} s; non-200: {p['non_200']}")
    if report["applied_server_ms"]:
        lines.append(f"applied syncs, server's own time: {report['applied_server_ms']} ms")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    stub = sub.add_parser("stub", help="the DynamoDB Scan stub alone")
    stub.add_argument("--items", type=int, default=100_000)
    stub.add_argument("--protected", type=int, default=200, help="client numbers below this are never churned")
    stub.add_argument("--churn", type=int, default=5000)
    stub.add_argument("--port", type=int, default=0)
    m = sub.add_parser("measure", help="the whole measurement")
    m.add_argument("--credvend", required=True, help="the credvend binary (release)")
    m.add_argument("--sts-endpoint", help="an STS to use (default: start moto_server)")
    m.add_argument("--items", type=int, default=100_000)
    m.add_argument("--clients", type=int, default=200, help="mapped clients whose tokens are sent")
    m.add_argument("--rate", type=float, default=300)
    m.add_argument("--connections", type=int, default=8)
    m.add_argument("--duration", type=float, default=60, help="seconds per phase (unchanged, applied)")
    m.add_argument("--interval", type=int, default=10, help="--roles-sync-interval")
    m.add_argument("--churn", type=int, default=5000, help="items changed per applied sync")
    m.add_argument("--threads", type=int, default=2, help="credvend serve --threads")
    m.add_argument("--out", help="JSON report (default: load-tests/results/<UTC time>/replica-sync.json)")
    m.add_argument("--keep-work", action="store_true")
    args = parser.parse_args()
    if args.command == "stub":
        return run_stub(args)
    if not 0 < args.duration <= 600 or not 0 < args.rate <= 5000:
        parser.error("--duration is capped at 600 s and --rate at 5000")
    args.started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = Path(args.out) if args.out else Path(__file__).resolve().parent.parent / "results" / args.started / "replica-sync.json"
    report = measure(args)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    text = table(report)
    out.with_suffix(".txt").write_text(text + "\n")
    print(text)
    print(f"\nresults: {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
