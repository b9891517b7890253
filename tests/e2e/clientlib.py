"""Peers and helpers for the client commands' end-to-end tests: dev-idp as a
Cognito stand-in, a scripted vending endpoint, an Auth0-style token endpoint,
and runners for `credvend get-credentials` with an explicit environment.
Everything listens on 127.0.0.1."""
from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import SimpleNamespace

from joserfc import jwt
from joserfc.jwk import RSAKey

from conftest import BIN
from e2elib import LISTEN_RE, Moto, Serve, reply, role, serve_in_thread, wait_for_log

CLIENTS = [{"client_id": "client-a", "client_secret": "s3cret-a-value", "scopes": ["credvend/write", "credvend/read"]},
           {"client_id": "client-b", "client_secret": "s3cret-b-value", "scopes": ["credvend/write"]}]


def iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def start_dev_idp(procs, tmp: Path, ttl=3600) -> tuple[str, object]:
    clients = tmp / "idp-clients.json"
    clients.write_text(json.dumps(CLIENTS))
    p = procs.start([BIN, "dev-idp", "--listen", "127.0.0.1:0", "--clients", str(clients), "--token-ttl", str(ttl)],
                    name="idp")
    m = wait_for_log(p.log_path, LISTEN_RE, proc=p)
    return f"http://127.0.0.1:{m.group(2)}", p


def real_stack(procs, tmp: Path) -> SimpleNamespace:
    """moto (signatures checked) + dev-idp + `credvend serve` mapping client-a to a role:
    `moto`, `arn`, `idp_url`, `idp`, `srv`."""
    moto = Moto(procs, tmp)
    arn = moto.create_role("app-a")
    moto.enforce_signatures()
    idp_url, idp = start_dev_idp(procs, tmp)
    srv = Serve(procs, tmp, idp_url, moto.url, [role("client-a", arn, server_name="server-01")],
                env=moto.source_env(), args=["--required-scope", "credvend/write"])
    return SimpleNamespace(moto=moto, arn=arn, idp_url=idp_url, idp=idp, srv=srv)


def base_env(tmp: Path) -> dict:
    """A clean environment: no AWS keys or endpoints of the machine leak in."""
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    return {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_CACHE_HOME": str(tmp / "cache")}


def cognito_env(tmp: Path, idp_url: str, api_url: str, client=CLIENTS[0], **extra) -> dict:
    env = base_env(tmp)
    env.update({"IDP_TYPE": "cognito", "COGNITO_DOMAIN": idp_url, "COGNITO_CLIENT_ID": client["client_id"],
                "COGNITO_CLIENT_SECRET": client["client_secret"], "COGNITO_RESOURCE_SERVER": "credvend",
                "COGNITO_CREDENTIAL_API_URL": api_url})
    env.update(extra)
    return env


def run_client(env: dict, *args, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([BIN, *args], env=env, capture_output=True, text=True, timeout=timeout)


def get_credentials(env: dict, *args, timeout=60) -> subprocess.CompletedProcess:
    return run_client(env, "get-credentials", *args, timeout=timeout)


class FakeVending:
    """A credential vending endpoint whose answers a test scripts.

    `answer(n)` gives, for the n-th call (1-based), `(status, body dict, delay
    seconds)`. Every call's access token and time are recorded."""

    def __init__(self, answer):
        self.answer = answer
        self.tokens: list[str] = []
        self.times: list[float] = []
        self.lock = threading.Lock()
        fake = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n_bytes = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(n_bytes) or b"{}")
                with fake.lock:
                    fake.tokens.append(body.get("access_token", ""))
                    fake.times.append(time.time())
                    n = len(fake.tokens)
                status, obj, delay = fake.answer(n)
                if delay:
                    time.sleep(delay)
                reply(self, status, json.dumps(obj).encode())

        self.srv, self.port = serve_in_thread(H)
        self.url = f"http://127.0.0.1:{self.port}/v1/credentials"

    @property
    def calls(self) -> int:
        with self.lock:
            return len(self.tokens)

    def close(self):
        self.srv.shutdown()


def fake_credentials(n: int, ttl: float = 3600) -> dict:
    """Credentials whose every field says which answer they came from."""
    return {"Version": 1, "AccessKeyId": f"ASIAFAKE{n:012d}", "SecretAccessKey": f"secret-{n}-{uuid.uuid4().hex}",
            "SessionToken": f"session-{n}-{uuid.uuid4().hex}", "Expiration": iso(time.time() + ttl)}


def moto_credentials(moto, role_arn: str, session_name: str, ttl: float) -> dict:
    """Real moto credentials (signature-checked by moto) with a chosen Expiration."""
    import boto3
    sts = boto3.client("sts", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id=moto.access_key,
                       aws_secret_access_key=moto.secret_key)
    c = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=3600)["Credentials"]
    return {"Version": 1, "AccessKeyId": c["AccessKeyId"], "SecretAccessKey": c["SecretAccessKey"],
            "SessionToken": c["SessionToken"], "Expiration": iso(time.time() + ttl)}


class Auth0TokenEndpoint:
    """`POST /oauth/token` as Auth0 answers a client_credentials grant: an RS256
    access token with `aud` and `sub = <client_id>@clients` (minted with joserfc)."""

    def __init__(self, client_id="auth0-client", client_secret="auth0-secret-value", audience="https://s3-uploader.test",
                 expires_in=86400):
        self.client_id, self.client_secret, self.audience = client_id, client_secret, audience
        self.expires_in = expires_in
        self.key = RSAKey.generate_key(2048, parameters={"kid": "auth0-1"})
        self.issued: list[str] = []
        self.forms: list[dict] = []
        ep = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n_bytes = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(n_bytes).decode()))
                ep.forms.append(form)
                if self.path != "/oauth/token":
                    return self.reply(404, {"error": "not_found"})
                if form.get("grant_type") != "client_credentials":
                    return self.reply(400, {"error": "unsupported_grant_type"})
                if form.get("client_id") != ep.client_id or form.get("client_secret") != ep.client_secret:
                    return self.reply(401, {"error": "access_denied", "error_description": "Unauthorized"})
                if form.get("audience") != ep.audience:
                    return self.reply(403, {"error": "access_denied",
                                            "error_description": f"Service not found: {form.get('audience')}"})
                now = int(time.time())
                token = jwt.encode({"alg": "RS256", "kid": "auth0-1"},
                                   {"iss": f"{ep.url}/", "sub": f"{ep.client_id}@clients", "aud": ep.audience,
                                    "iat": now, "exp": now + ep.expires_in, "gty": "client-credentials",
                                    "jti": uuid.uuid4().hex}, ep.key, algorithms=["RS256"])
                ep.issued.append(token)
                self.reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": ep.expires_in})

            def reply(self, status, obj):
                reply(self, status, json.dumps(obj).encode())

        self.srv, self.port = serve_in_thread(H)
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self):
        self.srv.shutdown()

    def env(self, tmp: Path, role_arn: str, sts_url: str, **extra) -> dict:
        env = base_env(tmp)
        env.update({"IDP_TYPE": "auth0", "AUTH0_DOMAIN": self.url, "AUTH0_CLIENT_ID": self.client_id,
                    "AUTH0_CLIENT_SECRET": self.client_secret, "AUTH0_AUDIENCE": self.audience,
                    "AWS_ROLE_ARN": role_arn, "AWS_ENDPOINT_URL_STS": sts_url})
        env.update(extra)
        return env


# --- reading the daemon's three files strictly -------------------------------------------

KEY_RE = re.compile(r"^ASIAFAKE(\d{12})$")


def check_json(text: str) -> str:
    c = json.loads(text)
    assert c["Version"] == 1 and set(c) == {"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    return consistent(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def check_ini(text: str) -> str:
    p = configparser.ConfigParser()
    p.read_string(text)
    d = p["default"]
    assert set(d) == {"aws_access_key_id", "aws_secret_access_key", "aws_session_token"}
    return consistent(d["aws_access_key_id"], d["aws_secret_access_key"], d["aws_session_token"])


def check_env(text: str) -> str:
    assert text.endswith("\n")
    v = dict(re.fullmatch(r"export (\w+)=(\S+)", line).groups() for line in text.splitlines()
             if not line.startswith("#"))
    assert set(v) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"}
    return consistent(v["AWS_ACCESS_KEY_ID"], v["AWS_SECRET_ACCESS_KEY"], v["AWS_SESSION_TOKEN"])


def consistent(key: str, secret: str, token: str) -> str:
    """All three fields of one file come from the same answer (`fake_credentials`)."""
    n = str(int(KEY_RE.match(key).group(1)))
    assert secret.startswith(f"secret-{n}-") and token.startswith(f"session-{n}-"), (key, secret[:12], token[:12])
    return n


CHECKS = {"aws-credentials.json": check_json, "credentials": check_ini, "aws-credentials.env": check_env}
