"""What `credvend serve` serves, end to end: never credentials STS handed out too
close to expiry, STS refusals remembered per client (a client retrying in a loop
costs a few AssumeRole calls, not one per request), and role mappings compared by
their bytes (an NFC to NFD prefix change is another S3 key and new credentials).

moto accepts AssumeRole for any role and always vends full-length sessions, so
these tests answer with a scripted STS that also refuses and vends short ones."""
import calendar
import json
import re
import time
import unicodedata

from e2elib import ACCOUNT, FakeSTS, Serve, http, import_roles, role

ARN = f"arn:aws:iam::{ACCOUNT}:role/app-a"
FAKE_SRC = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLESOURCE", "AWS_SECRET_ACCESS_KEY": "source-secret-do-not-log"}


class ServedSTS(FakeSTS):
    """FakeSTS plus the answers these tests need: ("expires", N) vends credentials
    that expire N seconds from now; ("refuse", (status, code)) is any STS error."""

    def render(self, kind, form):
        if isinstance(kind, tuple) and kind[0] == "expires":
            exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + kind[1]))
            status, body = super().render("ok", form)
            return status, re.sub(r"<Expiration>[^<]*</Expiration>", f"<Expiration>{exp}</Expiration>", body)
        if isinstance(kind, tuple) and kind[0] == "refuse":
            status, code = kind[1]
            return status, self.error(code, f"refused: {code}")
        return super().render(kind, form)


def start(procs, tmp_path, issuer, sts, roles):
    return Serve(procs, tmp_path, issuer.url, sts.url, roles, env=FAKE_SRC)


def metric(srv, name) -> float:
    st, _, text = http(srv.url + "/metrics")
    assert st == 200
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert m, f"{name} not in /metrics"
    return float(m.group(1))


def test_refused_client_retrying_in_a_loop_costs_a_few_sts_calls(procs, tmp_path, issuer):
    sts = ServedSTS()
    try:
        sts.default = (("refuse", (403, "AccessDenied")), 0)
        srv = start(procs, tmp_path, issuer, sts, [role("client-a", ARN), role("client-b", ARN + "-b")])
        token = issuer.mint("client-a")
        t0 = time.monotonic()
        answers = [srv.vend(token) for _ in range(300)]
        elapsed = time.monotonic() - t0
        calls = len(sts.calls)
        print(f"refused client: {calls} AssumeRole calls for 300 requests in {elapsed:.1f} s")
        assert [a[0] for a in answers] == [502] * 300
        # 5 s doubling (jittered down to half): one call per 2.5 s at the very most.
        assert calls <= 5, f"{calls} AssumeRole calls for 300 requests in {elapsed:.1f} s"
        assert 1 <= calls <= 2 + int(elapsed / 2.5), (calls, elapsed)
        for st, hdrs, body in answers:
            assert body["error"] == "upstream_error" and "AccessDenied" in body["message"], body
            assert int(hdrs["Retry-After"]) >= 1, hdrs
        assert metric(srv, "credvend_sts_refusals_remembered_total") >= 300 - calls
        # Another client is not held back by the refused one.
        sts.default = ("ok", 0)
        st, _, body = srv.vend(issuer.mint("client-b"))
        assert st == 200, body
        # A fixed mapping for the refused client is tried at once, not after the wait.
        before = len(sts.calls)
        import_roles(srv.db, [role("client-a", ARN + "-fixed")])
        st, _, body = srv.vend(token)
        assert st == 200, body
        assert len(sts.calls) == before + 1
        assert sts.calls[-1]["form"]["RoleArn"] == ARN + "-fixed"
    finally:
        sts.close()


def test_no_such_role_and_malformed_policy_are_remembered(procs, tmp_path, issuer):
    sts = ServedSTS()
    try:
        srv = start(procs, tmp_path, issuer, sts, [role("client-a", ARN), role("client-b", ARN, bucket="logs-bucket")])
        for cid, status, code in (("client-a", 404, "NoSuchEntity"), ("client-b", 400, "MalformedPolicyDocument")):
            sts.default = (("refuse", (status, code)), 0)
            before = len(sts.calls)
            token = issuer.mint(cid)
            answers = [srv.vend(token) for _ in range(50)]
            assert len(sts.calls) - before <= 3, (code, len(sts.calls) - before)
            for st, hdrs, body in answers:
                assert st == 502 and code in body["message"] and "Retry-After" in hdrs, body
        # Throttling is not a refusal: 3 paced calls on every request, then the STS pool's 503.
        sts.default = ("throttle", 0)
        srv2 = start(procs, tmp_path, issuer, sts, [role("client-c", ARN)])
        before = len(sts.calls)
        for _ in range(2):
            st, hdrs, body = srv2.vend(issuer.mint("client-c"))
            assert st == 503 and "throttling" in body["message"] and int(hdrs["Retry-After"]) >= 1, body
        assert len(sts.calls) - before == 6
    finally:
        sts.close()


def test_credentials_expiring_in_60_s_are_a_502_not_a_200(procs, tmp_path, issuer):
    sts = ServedSTS()
    try:
        srv = start(procs, tmp_path, issuer, sts, [role("client-a", ARN)])
        token = issuer.mint("client-a")
        for left in (60, -30):
            sts.default = (("expires", left), 0)
            st, _, body = srv.vend(token)
            assert st == 502, (left, body)
            assert body["error"] == "upstream_error", body
            assert "expire in" in body["message"] or "already expired" in body["message"], body
            assert "AccessKeyId" not in body
        # Nothing short was kept: good credentials next, with the buffer left.
        sts.default = ("ok", 0)
        st, _, body = srv.vend(token)
        assert st == 200, body
        exp = calendar.timegm(time.strptime(body["Expiration"], "%Y-%m-%dT%H:%M:%SZ"))
        assert exp - time.time() > 900
        assert len(sts.calls) == 3
        # The half-life rule stays: a 900 s session is served (and cached) with 900 s left,
        # and with 500 s, but not with 400 s, under half the session.
        srv2 = start(procs, tmp_path, issuer, sts, [role("client-s", ARN, session_duration_s=900)])
        short = issuer.mint("client-s")
        a, b = srv2.vend(short), srv2.vend(short)
        assert a[0] == b[0] == 200 and a[2]["AccessKeyId"] == b[2]["AccessKeyId"]
        assert len(sts.calls) == 4
        sts.default = (("expires", 400), 0)
        srv3 = start(procs, tmp_path, issuer, sts, [role("client-s", ARN, session_duration_s=900)])
        st, _, body = srv3.vend(short)
        assert st == 502 and "expire in" in body["message"], body
        sts.default = (("expires", 500), 0)
        assert srv3.vend(short)[0] == 200
    finally:
        sts.close()


def test_prefix_changed_from_nfc_to_nfd_gets_new_credentials(procs, tmp_path, issuer):
    nfc = unicodedata.normalize("NFC", "backups/café/")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd and nfc.encode() != nfd.encode()
    sts = ServedSTS()
    try:
        srv = start(procs, tmp_path, issuer, sts, [role("client-a", ARN, bucket="logs-bucket", s3_path_prefix=nfc)])
        token = issuer.mint("client-a")
        st, _, first = srv.vend(token)
        assert st == 200, first
        assert len(sts.calls) == 1
        assert f"logs-bucket/{nfc}".encode() in sts.calls[0]["form"]["Policy"].encode()
        import_roles(srv.db, [role("client-a", ARN, bucket="logs-bucket", s3_path_prefix=nfd)])
        st, _, second = srv.vend(token)
        assert st == 200, second
        assert len(sts.calls) == 2, "the NFD prefix is another S3 key: new credentials"
        assert second["AccessKeyId"] != first["AccessKeyId"]
        policy = sts.calls[1]["form"]["Policy"].encode()
        assert f"logs-bucket/{nfd}".encode() in policy and nfc.encode() not in policy
        resources = [r for s in json.loads(sts.calls[1]["form"]["Policy"])["Statement"]
                     for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])]
        assert any(r.encode() == f"arn:aws:s3:::logs-bucket/{nfd}*".encode() for r in resources), resources
        # And the cached NFD credentials are what the next request gets.
        st, _, third = srv.vend(token)
        assert st == 200 and third["AccessKeyId"] == second["AccessKeyId"] and len(sts.calls) == 2
    finally:
        sts.close()
