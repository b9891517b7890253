"""`credvend serve` end to end: real binary, real HTTP, moto as a signature-
checking STS, tokens minted by an independent library (joserfc)."""
import base64
import hashlib
import hmac
import json
import os
import random
import signal
import socket
import threading
import time
import urllib.parse

import boto3
import pytest

from e2elib import (ACCOUNT, FakeSTS, Issuer, Moto, Serve, b64url, http, import_roles, role, run_cli,
                    unsigned_token, wait_for_log)

ARN = f"arn:aws:iam::{ACCOUNT}:role/app-a"
FAKE_SRC = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLESOURCE", "AWS_SECRET_ACCESS_KEY": "source-secret-do-not-log"}


def fake_server(procs, tmp_path, issuer, sts, roles=None, args=None, env=None, **kw):
    e = dict(FAKE_SRC)
    e.update(env or {})
    return Serve(procs, tmp_path, issuer.url, sts.url, roles if roles is not None else [role("client-a", ARN)],
                 args=args, env=e, **kw)


def assert_error(resp, status, code):
    st, hdrs, body = resp
    assert st == status, (st, body)
    assert isinstance(body, dict) and body.get("error") == code, body
    assert body.get("message"), body
    return hdrs, body


# --- the main flow against moto with signature checks on ---------------------

def test_vends_real_credentials_from_moto(procs, tmp_path, issuer, moto):
    arn = moto.create_role("srv-01")
    moto.enforce_signatures()
    srv = Serve(procs, tmp_path, issuer.url, moto.url, [role("client-a", arn, server_name="server-01")],
                env=moto.source_env())
    token = issuer.mint("client-a")
    st, hdrs, body = srv.vend(token)
    assert st == 200, body
    assert hdrs.get("Cache-Control") == "no-store"
    assert body["Version"] == 1 and body["AccessKeyId"] and body["SecretAccessKey"] and body["SessionToken"]
    assert body["Expiration"].endswith("Z")
    who = boto3.client("sts", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id=body["AccessKeyId"],
                       aws_secret_access_key=body["SecretAccessKey"], aws_session_token=body["SessionToken"])
    assert who.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/srv-01/credvend-server-01"
    # Bearer header form; cached credentials come back unchanged.
    st2, _, body2 = srv.vend(body=b"", headers={"Authorization": f"Bearer {token}"})
    assert st2 == 200 and body2["AccessKeyId"] == body["AccessKeyId"]
    # An ES256 token from the same issuer works too.
    ec = issuer.add_ec_key("ec-1")
    st3, _, _ = srv.vend(issuer.mint("client-a", key=ec))
    assert st3 == 200
    log = srv.log()
    for secret in (token, body["SecretAccessKey"], body["SessionToken"], moto.secret_key):
        assert secret not in log
    assert hashlib.sha256(token.encode()).hexdigest()[:12] in log


def test_wrong_source_secret_is_upstream_error(procs, tmp_path, issuer, moto):
    arn = moto.create_role("srv-02")
    moto.enforce_signatures()
    srv = Serve(procs, tmp_path, issuer.url, moto.url, [role("client-a", arn)],
                env={"AWS_ACCESS_KEY_ID": moto.access_key, "AWS_SECRET_ACCESS_KEY": "wrong"})
    _, body = assert_error(srv.vend(issuer.mint("client-a")), 502, "upstream_error")
    assert "SignatureDoesNotMatch" in body["message"]
    assert "wrong" not in srv.log().replace("wrong_", "")


def test_session_policy_and_session_name(procs, tmp_path, issuer, sts):
    recs = [role("client-a", ARN, server_name="srv 01/ü", bucket="logs-bucket", s3_path_prefix="backups/srv-01/",
                 permission="full", session_duration_s=7200),
            role("client-b", ARN)]
    srv = fake_server(procs, tmp_path, issuer, sts, roles=recs)
    assert srv.vend(issuer.mint("client-a"))[0] == 200
    form = sts.calls[-1]["form"]
    assert form["Action"] == "AssumeRole" and form["Version"] == "2011-06-15"
    assert form["RoleArn"] == ARN and form["DurationSeconds"] == "7200"
    name = form["RoleSessionName"]
    assert name.startswith("credvend-srv") and all(c.isalnum() or c in "_+=,.@-" for c in name)
    policy = json.loads(form["Policy"])
    actions = set()
    for s in policy["Statement"]:
        acts = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        actions.update(acts)
        res = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        assert all(r.startswith("arn:aws:s3:::logs-bucket") for r in res)
    assert actions == {"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:ListBucket"}
    hdrs = {k.lower(): v for k, v in sts.calls[-1]["headers"].items()}
    assert hdrs["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLESOURCE/")
    assert "/us-east-1/sts/aws4_request" in hdrs["authorization"]
    assert srv.vend(issuer.mint("client-b"))[0] == 200
    assert "Policy" not in sts.calls[-1]["form"]
    assert sts.calls[-1]["form"]["RoleSessionName"] == "credvend-client-b"


# --- token checks: every row of the 401/403 part of the error table ---------

def invalid(resp):
    hdrs, body = assert_error(resp, 401, "invalid_token")
    assert 'Bearer error="invalid_token"' in hdrs.get("WWW-Authenticate", "")
    return body


def test_token_rejections(procs, tmp_path, issuer, sts):
    srv = fake_server(procs, tmp_path, issuer, sts, args=["--required-scope", "credvend/write"])
    now = int(time.time())
    good = issuer.mint("client-a")
    h, p, s = good.split(".")
    claims = issuer.claims("client-a")
    cases = {
        "alg none": unsigned_token({"alg": "none", "kid": "rsa-1"}, claims),
        "two parts": f"{h}.{p}",
        "four parts": f"{good}.{s}",
        "not base64": f"{h}.{p}!.{s}",
        "header not object": ".".join([b64url(b"[1]"), p, s]),
        "no kid": unsigned_token({"alg": "RS256"}, claims, b"x" * 256),
        "crit": issuer.mint("client-a", header_extra={"crit": ["b64"], "b64": True}),
        "forged kid": issuer.mint("client-a", header_extra={"kid": "no-such-kid"}),
        "tampered payload": ".".join([h, b64url(json.dumps(dict(claims, client_id="client-admin")).encode()), s]),
        "tampered signature": ".".join([h, p, s[:-4] + ("AAAA" if s[-4:] != "AAAA" else "BBBB")]),
        "expired beyond skew": issuer.mint("client-a", exp=now - 120),
        "nbf in future": issuer.mint("client-a", nbf=now + 600),
        "iat in future": issuer.mint("client-a", iat=now + 600),
        "wrong iss": issuer.mint("client-a", iss="https://evil.example.com"),
        "id token": issuer.mint("client-a", token_use="id"),
        "no client_id": issuer.mint("client-a", client_id=None),
        "empty client_id": issuer.mint("client-a", client_id=""),
        "exp string": issuer.mint("client-a", exp=str(now + 600)),
    }
    # HS256 signed with the RSA public key as the HMAC secret (key confusion).
    pub_pem = issuer.keys[0].as_pem(private=False)
    hs_h = b64url(json.dumps({"alg": "HS256", "kid": "rsa-1"}).encode())
    hs_p = b64url(json.dumps(claims).encode())
    cases["HS256 key confusion"] = f"{hs_h}.{hs_p}." + b64url(
        hmac.new(pub_pem, f"{hs_h}.{hs_p}".encode(), hashlib.sha256).digest())
    for name, tok in cases.items():
        body = invalid(srv.vend(tok))
        assert tok not in json.dumps(body), name
    # Within skew is accepted.
    assert srv.vend(issuer.mint("client-a", exp=now - 30))[0] == 200
    # Missing required scope: 403 insufficient_scope.
    assert_error(srv.vend(issuer.mint("client-a", scope="credvend/read")), 403, "insufficient_scope")
    # Unmapped client: 403 access_denied.
    _, body = assert_error(srv.vend(issuer.mint("client-zzz")), 403, "access_denied")
    assert "client-zzz" in body["message"]
    assert good not in srv.log()


def test_request_shape_errors(procs, tmp_path, issuer, sts):
    srv = fake_server(procs, tmp_path, issuer, sts)
    tok = issuer.mint("client-a")
    assert_error(srv.vend(body=b"{not json"), 400, "invalid_request")
    assert_error(srv.vend(body=b"[]"), 400, "invalid_request")
    assert_error(srv.vend(body=b"{}"), 400, "invalid_request")
    assert_error(srv.vend(body=b""), 400, "invalid_request")
    assert_error(srv.vend(body=b'{"access_token": 5}'), 400, "invalid_request")
    assert_error(srv.vend(tok, headers={"Authorization": f"Bearer {tok}"}), 400, "invalid_request")
    assert_error(srv.vend(body=b"x" * (16 * 1024 + 1)), 413, "payload_too_large")
    assert_error(srv.vend(body=b"", path="/v2/nothing"), 404, "not_found")
    hdrs, _ = assert_error(srv.vend(method="GET", path="/v1/credentials", body=None), 405, "method_not_allowed")
    assert "POST" in hdrs.get("Allow", "")
    hdrs, _ = assert_error(http(srv.url + "/healthz", method="POST", body=b""), 405, "method_not_allowed")
    assert "GET" in hdrs.get("Allow", "")


# --- availability: JWKS, source credentials, STS failures --------------------

def test_jwks_down_at_start_then_up(procs, tmp_path, issuer, sts):
    issuer.down = True
    srv = fake_server(procs, tmp_path, issuer, sts, wait_ready=False)
    st, _, body = http(srv.url + "/readyz")
    assert st == 503 and "jwks" in json.dumps(body).lower()
    assert http(srv.url + "/healthz")[0] == 200
    hdrs, _ = assert_error(srv.vend(issuer.mint("client-a")), 503, "unavailable")
    assert int(hdrs["Retry-After"]) > 0
    issuer.down = False
    srv.wait_ready(timeout=30)
    assert srv.vend(issuer.mint("client-a"))[0] == 200


def test_no_source_credentials_is_503(procs, tmp_path, issuer, sts):
    srv = Serve(procs, tmp_path, issuer.url, sts.url, [role("client-a", ARN)], wait_ready=False)
    time.sleep(0.5)
    st, _, body = http(srv.url + "/readyz")
    assert st == 503 and "source credentials" in json.dumps(body)
    hdrs, body = assert_error(srv.vend(issuer.mint("client-a")), 503, "unavailable")
    assert "Retry-After" in hdrs


def test_shared_credentials_file_is_a_source(procs, tmp_path, issuer, sts):
    f = tmp_path / "credentials"
    f.write_text("[default]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = file-secret\n"
                 "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = other-secret\n")
    srv = Serve(procs, tmp_path, issuer.url, sts.url, [role("client-a", ARN)],
                env={"AWS_SHARED_CREDENTIALS_FILE": str(f), "AWS_PROFILE": "other"})
    assert srv.vend(issuer.mint("client-a"))[0] == 200
    assert "Credential=AKIDOTHER/" in sts.calls[-1]["headers"]["Authorization"]


def test_key_rotation_and_forged_kid_limiter(procs, tmp_path, issuer, sts):
    srv = fake_server(procs, tmp_path, issuer, sts)
    assert srv.vend(issuer.mint("client-a"))[0] == 200
    from joserfc.jwk import RSAKey
    new = RSAKey.generate_key(2048, parameters={"kid": "rsa-2", "use": "sig"})
    issuer.keys = [new]
    before = issuer.fetches
    assert srv.vend(issuer.mint("client-a", key=new))[0] == 200, srv.log()
    assert issuer.fetches == before + 1
    # A storm of forged kids within 30 s causes no further fetch.
    for i in range(50):
        invalid(srv.vend(issuer.mint("client-a", key=new, header_extra={"kid": f"forged-{i}"})))
    assert issuer.fetches == before + 1
    # The old key is gone after rotation.
    invalid(srv.vend(unsigned_token({"alg": "RS256", "kid": "rsa-1"}, issuer.claims(), b"x" * 256)))


def test_sts_throttling_is_paced_then_503_with_retry_after(procs, tmp_path, issuer, sts):
    srv = fake_server(procs, tmp_path, issuer, sts)
    sts.script = [("throttle", 0)] * 3
    hdrs, body = assert_error(srv.vend(issuer.mint("client-a")), 503, "unavailable")
    assert "throttling" in body["message"]
    assert int(hdrs["Retry-After"]) >= 1
    assert len(sts.calls) == 3
    assert srv.vend(issuer.mint("client-a"))[0] == 200  # STS stopped throttling


def test_a_slow_sts_never_delays_a_cached_client_and_a_new_one_gets_503_within_the_queue_wait(
        procs, tmp_path, issuer, sts):
    srv = fake_server(procs, tmp_path, issuer, sts, roles=[role(c, ARN) for c in ("client-a", "client-b", "client-c")],
                      args=["--sts-concurrency", "1", "--sts-queue", "1", "--sts-queue-wait", "0.5"])
    cached = issuer.mint("client-a")
    assert srv.vend(cached)[0] == 200
    sts.default = ("ok", 3)
    slow = []
    t = threading.Thread(target=lambda: slow.append(srv.vend(issuer.mint("client-b"))))
    t.start()
    deadline = time.monotonic() + 5
    while len(sts.calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(sts.calls) == 2  # the pool's one worker is in the slow call
    t0 = time.monotonic()
    assert srv.vend(cached)[0] == 200
    assert time.monotonic() - t0 < 1.0
    t0 = time.monotonic()
    hdrs, _ = assert_error(srv.vend(issuer.mint("client-c")), 503, "unavailable")
    assert 0.4 < time.monotonic() - t0 < 2.5  # the queue wait, not the 3 s call
    assert int(hdrs["Retry-After"]) >= 1
    t.join(10)
    assert slow and slow[0][0] == 200
    assert len(sts.calls) == 2


def test_sts_5xx_then_success(procs, tmp_path, issuer, sts):
    srv = fake_server(procs, tmp_path, issuer, sts)
    sts.script = [("500", 0), ("500", 0)]
    assert srv.vend(issuer.mint("client-a"))[0] == 200
    assert len(sts.calls) == 3


def test_sts_access_denied_not_retried(procs, tmp_path, issuer, sts):
    srv = fake_server(procs, tmp_path, issuer, sts)
    sts.script = [("denied", 0)]
    _, body = assert_error(srv.vend(issuer.mint("client-a")), 502, "upstream_error")
    assert "AccessDenied" in body["message"] and len(sts.calls) == 1


def test_sts_garbage_xml_and_connection_refused(procs, tmp_path, issuer, sts):
    srv = fake_server(procs, tmp_path, issuer, sts)
    sts.default = ("garbage", 0)
    assert_error(srv.vend(issuer.mint("client-a")), 502, "upstream_error")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    srv2 = Serve(procs, tmp_path, issuer.url, f"http://127.0.0.1:{dead}", [role("client-a", ARN)], env=FAKE_SRC)
    t0 = time.monotonic()
    assert_error(srv2.vend(issuer.mint("client-a")), 502, "upstream_error")
    assert time.monotonic() - t0 < 15


def test_concurrent_requests_share_one_sts_call(procs, tmp_path, issuer, sts):
    srv = fake_server(procs, tmp_path, issuer, sts)
    sts.default = ("ok", 0.5)
    results = []
    def one():
        results.append(srv.vend(issuer.mint("client-a")))
    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads: t.start()
    for t in threads: t.join(30)
    assert [r[0] for r in results] == [200] * 20
    assert len({r[2]["AccessKeyId"] for r in results}) == 1
    assert len(sts.calls) == 1


def test_role_change_seen_without_restart(procs, tmp_path, issuer, sts):
    srv = fake_server(procs, tmp_path, issuer, sts, roles=[role("client-a", ARN)])
    assert_error(srv.vend(issuer.mint("client-new")), 403, "access_denied")
    import_roles(srv.db, [role("client-new", f"arn:aws:iam::{ACCOUNT}:role/new")])
    assert srv.vend(issuer.mint("client-new"))[0] == 200
    assert sts.calls[-1]["form"]["RoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/new"


def test_short_sessions_cached_for_half_their_life(procs, tmp_path, issuer, sts):
    srv = fake_server(procs, tmp_path, issuer, sts, roles=[role("client-a", ARN, session_duration_s=900)])
    a = srv.vend(issuer.mint("client-a"))
    b = srv.vend(issuer.mint("client-a"))
    assert a[0] == b[0] == 200 and a[2]["AccessKeyId"] == b[2]["AccessKeyId"]
    assert len(sts.calls) == 1


# --- robustness ---------------------------------------------------------------

def test_slow_client_does_not_block_others(procs, tmp_path, issuer, sts):
    srv = fake_server(procs, tmp_path, issuer, sts)
    tok = issuer.mint("client-a")
    stop = threading.Event()
    def slow():
        with socket.create_connection(("127.0.0.1", srv.port)) as s:
            s.sendall(b"POST /v1/credentials HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
            for _ in range(8):
                if stop.is_set():
                    return
                try:
                    s.sendall(b"a")
                except OSError:
                    return
                time.sleep(1)
    slows = [threading.Thread(target=slow) for _ in range(8)]
    for t in slows: t.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    for _ in range(20):
        assert srv.vend(tok)[0] == 200
    assert time.monotonic() - t0 < 3
    stop.set()
    for t in slows: t.join(15)


def test_random_bodies_do_not_crash(procs, tmp_path, issuer, sts):
    srv = fake_server(procs, tmp_path, issuer, sts)
    rnd = random.Random(1234)
    tok = issuer.mint("client-a")
    for i in range(1000):
        kind = i % 4
        if kind == 0:
            body = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 300)))
        elif kind == 1:
            body = json.dumps({"access_token": "".join(rnd.choice("ab.-_=+/") for _ in range(rnd.randint(0, 200)))}).encode()
        elif kind == 2:
            cut = rnd.randint(0, len(tok))
            body = json.dumps({"access_token": tok[:cut] + tok[cut + 1:]}).encode()
        else:
            body = json.dumps({"access_token": [1, {"x": None}], "z": "\u0000"}).encode()
        st = srv.vend(body=body)[0]
        assert st in (400, 401, 403), (i, st)
    assert srv.proc.poll() is None
    assert srv.vend(tok)[0] == 200


def test_sigterm_finishes_requests_in_flight(procs, tmp_path, issuer, sts):
    srv = fake_server(procs, tmp_path, issuer, sts)
    sts.default = ("ok", 2.0)
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", srv.vend(issuer.mint("client-a"))))
    t.start()
    time.sleep(0.7)
    srv.proc.send_signal(signal.SIGTERM)
    t.join(15)
    assert out["r"][0] == 200
    assert srv.proc.wait(timeout=15) == 0


def test_health_ready_metrics(procs, tmp_path, issuer, sts):
    srv = fake_server(procs, tmp_path, issuer, sts)
    assert http(srv.url + "/healthz") == (200, http(srv.url + "/healthz")[1], {"status": "ok"})
    assert http(srv.url + "/readyz")[0] == 200
    tok = issuer.mint("client-a")
    srv.vend(tok); srv.vend(tok); srv.vend("garbage")
    st, hdrs, text = http(srv.url + "/metrics")
    assert st == 200 and hdrs["Content-Type"].startswith("text/plain")
    assert 'credvend_http_requests_total{route="/v1/credentials",status="200"} 2' in text
    assert 'credvend_http_requests_total{route="/v1/credentials",status="401"} 1' in text
    assert "credvend_http_request_duration_seconds_bucket" in text
    assert 'credvend_sts_calls_total{outcome="success"} 1' in text
    assert "credvend_credential_cache_hits_total 1" in text
    assert "credvend_credential_cache_misses_total 1" in text
    assert 'credvend_jwks_refreshes_total{outcome="success"}' in text


def test_insecure_http_refused_for_remote_hosts(tmp_path):
    r = run_cli("serve", "--listen", "127.0.0.1:0", "--db", str(tmp_path / "db"),
                "--issuer", "http://idp.example.com", "--sts-endpoint", "https://sts.us-east-1.amazonaws.com")
    assert r.returncode != 0 and "--allow-insecure-http" in r.stderr
    r = run_cli("serve", "--db", str(tmp_path / "db"))
    assert r.returncode != 0 and "--issuer" in r.stderr


def test_static_jwks_file(procs, tmp_path, issuer, sts):
    f = tmp_path / "jwks.json"
    f.write_text(json.dumps({"keys": [k.as_dict(private=False) for k in issuer.keys]}))
    issuer.down = True  # the file alone must be enough
    srv = fake_server(procs, tmp_path, issuer, sts, args=["--jwks-file", str(f)])
    assert srv.vend(issuer.mint("client-a"))[0] == 200
    assert issuer.fetches == 0
