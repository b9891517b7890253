"""Peers for end-to-end tests: a JWKS issuer whose keys a test controls, a
scripted STS for failure cases moto cannot produce, moto_server as the real
STS, and a launcher for `credvend serve`. Everything listens on 127.0.0.1."""
from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from conftest import BIN, free_port, wait_for_port

ACCOUNT = "123456789012"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type="application/json",
          headers: dict | None = None) -> None:
    """One complete HTTP answer from a fake peer."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    for k, v in (headers or {}).items():
        handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def serve_in_thread(handler_cls) -> tuple[_Server, int]:
    srv = _Server(("127.0.0.1", 0), handler_cls)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, srv.server_address[1]


class Issuer:
    """A Cognito-shaped issuer: JWKS at /.well-known/jwks.json, tokens minted
    here with joserfc (a library independent of credvend)."""

    def __init__(self):
        self.keys = [RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig", "alg": "RS256"})]
        self.down = False
        self.fetches = 0
        issuer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                if self.path != "/.well-known/jwks.json":
                    self.send_response(404); self.end_headers(); return
                issuer.fetches += 1
                if issuer.down:
                    self.send_response(503); self.end_headers(); return
                reply(self, 200, json.dumps({"keys": [k.as_dict(private=False) for k in issuer.keys]}).encode())

        self.srv, self.port = serve_in_thread(H)
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self):
        self.srv.shutdown()

    def add_ec_key(self, kid="ec-1", crv="P-256"):
        k = ECKey.generate_key(crv, parameters={"kid": kid, "use": "sig"})
        self.keys.append(k)
        return k

    def claims(self, cid="client-a", **over):
        now = int(time.time())
        c = {"iss": self.url, "sub": cid, "client_id": cid, "token_use": "access",
             "scope": "credvend/write", "iat": now, "exp": now + 3600, "jti": str(uuid.uuid4())}
        c.update(over)
        return {k: v for k, v in c.items() if v is not None}

    def mint(self, cid="client-a", key=None, alg=None, header_extra=None, **claims) -> str:
        key = key or self.keys[0]
        alg = alg or ("RS256" if isinstance(key, RSAKey) else {"P-256": "ES256", "P-384": "ES384"}[key.curve_name])
        header = {"alg": alg, "kid": key.kid}
        if header_extra:
            header.update(header_extra)
        header = {k: v for k, v in header.items() if v is not None}
        return jwt.encode(header, self.claims(cid, **claims), key, algorithms=[alg])


def unsigned_token(header: dict, claims: dict, signature: bytes = b"") -> str:
    return ".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()), b64url(signature)])


class FakeSTS:
    """A scripted STS for failures moto cannot produce (throttling, 5xx,
    garbage XML, slowness). It records every AssumeRole call it gets."""

    def __init__(self):
        self.script: list = []  # items: ("ok"|"throttle"|"500"|"garbage"|"denied", delay_seconds)
        self.calls: list[dict] = []
        self.default = ("ok", 0.0)
        sts = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
                sts.calls.append({"form": form, "headers": dict(self.headers)})
                kind, delay = sts.script.pop(0) if sts.script else sts.default
                if delay:
                    time.sleep(delay)
                status, body = sts.render(kind, form)
                reply(self, status, body.encode(), "text/xml")

        self.srv, self.port = serve_in_thread(H)
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self):
        self.srv.shutdown()

    @staticmethod
    def error(code, message, type_="Sender"):
        return (f"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>{type_}</Type>"
                f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")

    def render(self, kind, form):
        if kind == "throttle":
            return 400, self.error("Throttling", "Rate exceeded")
        if kind == "500":
            return 500, self.error("InternalFailure", "internal error", "Receiver")
        if kind == "garbage":
            return 200, "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>AS"
        if kind == "denied":
            return 403, self.error("AccessDenied", "User is not authorized to perform: sts:AssumeRole")
        exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + int(form.get("DurationSeconds", "3600"))))
        key = "ASIA" + uuid.uuid4().hex[:16].upper()
        return 200, (
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
            f"<AssumedRoleUser><Arn>arn:aws:sts::{ACCOUNT}:assumed-role/x/{form.get('RoleSessionName')}</Arn>"
            "<AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser>"
            f"<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>fake-secret-{uuid.uuid4().hex}</SecretAccessKey>"
            f"<SessionToken>fake-session-{uuid.uuid4().hex}</SessionToken><Expiration>{exp}</Expiration></Credentials>"
            "</AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>")


class Moto:
    """moto_server as a real STS: every request's SigV4 signature is checked
    (auth switched on after the IAM fixtures are created)."""

    def __init__(self, procs, tmp: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = procs.start(["moto_server", "-H", "127.0.0.1", "-p", str(self.port)],
                                env={"INITIAL_NO_AUTH_ACTION_COUNT": "inf"}, name="moto")
        wait_for_port(self.port, 30)
        import boto3
        iam = boto3.client("iam", endpoint_url=self.url, region_name="us-east-1",
                           aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
        iam.create_user(UserName="credvend")
        key = iam.create_access_key(UserName="credvend")["AccessKey"]
        self.access_key, self.secret_key = key["AccessKeyId"], key["SecretAccessKey"]
        iam.put_user_policy(UserName="credvend", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        self.trust = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/credvend"},
            "Action": "sts:AssumeRole"}]})
        self.iam = iam

    def create_role(self, name) -> str:
        return self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=self.trust)["Role"]["Arn"]

    def enforce_signatures(self):
        req = urllib.request.Request(self.url + "/moto-api/reset-auth", data=b"0", method="POST",
                                     headers={"Content-Type": "text/plain"})
        assert json.loads(urllib.request.urlopen(req, timeout=10).read())["status"] == "ok"

    def source_env(self) -> dict:
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}


def run_cli(*args, env=None, input=None, timeout=60) -> subprocess.CompletedProcess:
    full = dict(os.environ)
    if env:
        full.update(env)
    return subprocess.run([BIN, *args], capture_output=True, text=True, env=full, input=input, timeout=timeout)


def import_roles(db: Path, records: list[dict]):
    f = db.parent / f"roles-{uuid.uuid4().hex[:6]}.json"
    f.write_text(json.dumps(records))
    r = run_cli("roles", "--db", str(db), "import", str(f))
    assert r.returncode == 0, r.stderr


LISTEN_RE = re.compile(r"listening on ([0-9.]+):(\d+)")


def log_value(written: str) -> str:
    """A `key=value` value as the logs write it (docs/reference.md#logs), decoded: bare, or
    quoted with \\" \\\\ \\n \\r \\t and \\xNN byte escapes."""
    if not written.startswith('"'):
        return written
    out, i, body = bytearray(), 0, written[1:-1]
    simple = {'"': b'"', "\\": b"\\", "n": b"\n", "r": b"\r", "t": b"\t"}
    while i < len(body):
        if body[i] == "\\" and body[i + 1] == "x":
            out.append(int(body[i + 2:i + 4], 16))
            i += 4
        elif body[i] == "\\":
            out += simple[body[i + 1]]
            i += 2
        else:
            out += body[i].encode()
            i += 1
    return out.decode()


def settled_log(path: str, quiet=0.05, timeout=2.0) -> str:
    """The file once it has not grown for `quiet` s (at most `timeout` s): log lines that
    follow each other closely are written in batches within 10 ms (BatchedLineWriter)."""
    deadline = time.monotonic() + timeout
    size = -1
    while time.monotonic() < deadline:
        now = os.path.getsize(path)
        if now == size:
            break
        size = now
        time.sleep(quiet)
    return Path(path).read_text(errors="replace")


def wait_for_log(path: str, pattern: re.Pattern, timeout=20.0, proc=None) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = Path(path).read_text(errors="replace")
        m = pattern.search(text)
        if m:
            return m
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited {proc.returncode}:\n{text}")
        time.sleep(0.05)
    raise TimeoutError(f"{pattern.pattern!r} not in {path}:\n{Path(path).read_text(errors='replace')}")


class Serve:
    """`credvend serve` on a free loopback port."""

    def __init__(self, procs, tmp: Path, issuer_url: str, sts_url: str, roles: list[dict] | None = None,
                 args: list[str] | None = None, env: dict | None = None, wait_ready=True):
        self.db = tmp / f"db-{uuid.uuid4().hex[:6]}"
        if roles:
            import_roles(self.db, roles)
        cmd = [BIN, "serve", "--listen", "127.0.0.1:0", "--db", str(self.db), "--issuer", issuer_url,
               "--sts-endpoint", sts_url, *(args or [])]
        base_env = {k: "" for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
        base_env.update({"AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-such-credentials"),
                         "AWS_CONTAINER_CREDENTIALS_FULL_URI": ""})
        base_env.update(env or {})
        self.proc = procs.start(cmd, env=base_env, name="serve")
        m = wait_for_log(self.proc.log_path, LISTEN_RE, proc=self.proc)
        self.port = int(m.group(2))
        self.url = f"http://127.0.0.1:{self.port}"
        if wait_ready:
            self.wait_ready()

    def log(self) -> str:
        return settled_log(self.proc.log_path)

    def wait_ready(self, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if http(self.url + "/readyz")[0] == 200:
                return
            time.sleep(0.1)
        raise TimeoutError("server never ready:\n" + self.log())

    def vend(self, token=None, body=None, headers=None, method="POST", path="/v1/credentials"):
        if body is None and token is not None:
            body = json.dumps({"access_token": token}).encode()
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        return http(self.url + path, method=method, body=body, headers=h)


def http(url, method="GET", body: bytes | None = None, headers: dict | None = None, timeout=30):
    """(status, headers, parsed JSON or raw text)."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, hdrs, data = r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, data = e.code, dict(e.headers), e.read()
    try:
        parsed = json.loads(data)
    except ValueError:
        parsed = data.decode(errors="replace")
    return status, hdrs, parsed


def role(client_id, arn, **kw) -> dict:
    r = {"client_id": client_id, "role_arn": arn}
    r.update(kw)
    return r
