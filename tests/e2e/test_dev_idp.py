"""`credvend dev-idp` as the issuer for `credvend serve`, checked also with an
independent JWT library."""
import base64
import json
import os
import stat
import urllib.parse

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from e2elib import FakeSTS, LISTEN_RE, Serve, http, role, run_cli, wait_for_log
from conftest import BIN

ARN = "arn:aws:iam::123456789012:role/app-a"


def start_idp(procs, tmp_path, extra=()):
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps([
        {"client_id": "client-a", "client_secret": "s3cret-a", "scopes": ["credvend/write", "credvend/read"]},
        {"client_id": "client-b", "client_secret": "s3cret-b", "scopes": ["credvend/read"]}]))
    key = tmp_path / "idp-key.pem"
    p = procs.start([BIN, "dev-idp", "--listen", "127.0.0.1:0", "--clients", str(clients), "--key", str(key), *extra],
                    name="idp")
    m = wait_for_log(p.log_path, LISTEN_RE, proc=p)
    return f"http://127.0.0.1:{m.group(2)}", key, p


def get_token(url, client_id, secret, scope=None):
    form = {"grant_type": "client_credentials"}
    if scope:
        form["scope"] = scope
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return http(url + "/oauth2/token", method="POST", body=urllib.parse.urlencode(form).encode(),
                headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"})


def test_dev_idp_tokens_are_cognito_shaped(procs, tmp_path):
    url, key, _ = start_idp(procs, tmp_path)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    st, _, jwks = http(url + "/.well-known/jwks.json")
    assert st == 200 and jwks["keys"][0]["kty"] == "RSA" and "d" not in jwks["keys"][0]
    st, _, body = get_token(url, "client-a", "s3cret-a", "credvend/write")
    assert st == 200 and body["token_type"] == "Bearer" and body["expires_in"] == 3600
    tok = jwt.decode(body["access_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
    c = tok.claims
    assert tok.header["kid"] == jwks["keys"][0]["kid"]
    assert c["iss"] == url and c["client_id"] == c["sub"] == "client-a" and c["token_use"] == "access"
    assert c["scope"] == "credvend/write" and c["exp"] - c["iat"] == 3600 and c["jti"]
    assert "aud" not in c
    assert get_token(url, "client-a", "wrong")[0] == 401
    assert get_token(url, "nobody", "x")[0] == 401
    assert get_token(url, "client-b", "s3cret-b", "credvend/write")[0] == 400
    st, _, body = http(url + "/oauth2/token", method="POST", body=b"grant_type=password")
    assert st == 400 and body["error"] == "unsupported_grant_type"


def test_dev_idp_feeds_serve_and_mint_matches(procs, tmp_path):
    url, key, _ = start_idp(procs, tmp_path)
    sts = FakeSTS()
    try:
        srv = Serve(procs, tmp_path, url, sts.url, [role("client-a", ARN)],
                    env={"AWS_ACCESS_KEY_ID": "AKIDX", "AWS_SECRET_ACCESS_KEY": "sx"},
                    args=["--required-scope", "credvend/write"])
        st, _, body = get_token(url, "client-a", "s3cret-a")
        assert st == 200
        assert srv.vend(body["access_token"])[0] == 200
        minted = run_cli("dev-idp", "mint", "--key", str(key), "--client-id", "client-a", "--issuer", url)
        assert minted.returncode == 0, minted.stderr
        assert srv.vend(minted.stdout.strip())[0] == 200
        other = run_cli("dev-idp", "mint", "--key", str(key), "--client-id", "client-a", "--issuer", "http://x")
        assert srv.vend(other.stdout.strip())[0] == 401
    finally:
        sts.close()


def test_dev_idp_refuses_remote_listen(tmp_path):
    (tmp_path / "c.json").write_text('[{"client_id":"a","client_secret":"b","scopes":["s"]}]')
    r = run_cli("dev-idp", "--listen", "0.0.0.0:0", "--clients", str(tmp_path / "c.json"))
    assert r.returncode != 0 and "--allow-remote" in r.stderr
    r = run_cli("dev-idp", "--listen", "127.0.0.1:0", "--clients", str(tmp_path / "missing.json"))
    assert r.returncode != 0 and "missing.json" in r.stderr
