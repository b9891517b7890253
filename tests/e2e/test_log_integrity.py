"""Log and audit integrity against the real binary: whatever bytes a request
carries (a `%0A` or `%00` in the path, a newline in a signed token's
client_id), one request is one line on stderr, in /admin/v1/logs and in the
audit log; an audit record is written whole or not at all (a write cut short
by the file size limit is rolled back); and an audit path that became a FIFO
never blocks a SIGHUP, nor the SIGHUPs after it."""
import http.client as httpclient
import json
import os
import re
import resource
import signal
import stat
import time
from pathlib import Path

from adminlib import new_token, tcp_http, token_file
from e2elib import ACCOUNT, Serve, http, role, wait_for_log

FAKE_SRC = {"AWS_ACCESS_KEY_ID": "AKIDLOGINTEGRITY01", "AWS_SECRET_ACCESS_KEY": "source-secret-never-shown"}
ARN_A = f"arn:aws:iam::{ACCOUNT}:role/app-a"
# What a forger wants a log reader to see as a line of its own.
FORGED = "2026-12-01T00:00:00.000Z INFO credvend.serve: request client_id=admin status=200"
# Every line credvend writes: time, level, label.
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [A-Z]+ [a-z.-]+: ")


def serve(procs, tmp_path, issuer, sts, *args):
    return Serve(procs, tmp_path, issuer.url, sts.url, [role("client-a", ARN_A, server_name="edge-01")],
                 args=[str(a) for a in args], env=FAKE_SRC)


def raw_get(port: int, target: str):
    """(status, headers) of a GET whose target is sent byte for byte as given."""
    c = httpclient.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        c.putrequest("GET", target, skip_accept_encoding=True)
        c.endheaders()
        r = c.getresponse()
        r.read()
        return r.status, dict(r.getheaders())
    finally:
        c.close()


def stderr_lines(srv) -> list[str]:
    """The server's log lines (its output file also holds the `listening on` announcement)."""
    return [line for line in srv.log().split("\n")[:-1] if not re.fullmatch(r"listening on \S+", line)]


def request_line(lines: list[str], request_id: str) -> str:
    found = [line for line in lines if f" request_id={request_id} " in line]
    assert len(found) == 1, found
    return found[0]


def assert_only_credvend_lines(lines: list[str]):
    """No line but those credvend began: a forged one would not start with a time."""
    for line in lines:
        assert LINE.match(line), repr(line)
        assert all(0x20 <= ord(c) <= 0x7E for c in line), repr(line)  # escaped: printable ASCII


def signal_mask(pid: int, field: str) -> int:
    """A signal set of /proc/PID/status (SigIgn, SigPnd, ...): bit N-1 is signal N."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1], 16)
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def audit_lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    assert data.endswith(b"\n"), data[-200:]
    return data.split(b"\n")[:-1]


def admin_server(procs, tmp_path, issuer, sts):
    admin = new_token()
    srv = serve(procs, tmp_path, issuer, sts, "--admin-token-file", token_file(tmp_path / "tokens", [("admin", admin)]))
    return srv, admin


def ring_lines(srv, admin) -> list[str]:
    st, _, body = tcp_http(srv.port, "GET", "/admin/v1/logs?lines=1000", token=admin)
    assert st == 200
    return body["lines"]


def test_a_newline_in_the_path_forges_no_line_on_stderr_or_in_the_log_ring(procs, tmp_path, issuer, sts):
    srv, admin = admin_server(procs, tmp_path, issuer, sts)
    st, hdrs = raw_get(srv.port, "/healthz%0A" + FORGED.replace(" ", "%20"))
    assert st == 404  # "/healthz\n..." is not /healthz

    for lines in (stderr_lines(srv), ring_lines(srv, admin)):
        assert_only_credvend_lines(lines)
        assert not any(line.startswith(FORGED[:24]) for line in lines)
        assert [line for line in lines if line.split(": ", 1)[1].startswith("request client_id=admin")] == []
        mentions = [line for line in lines if "client_id=admin status=200" in line]
        assert len(mentions) == 1
        assert ' path="/healthz\\n' + FORGED + '" ' in mentions[0]
        assert " status=404 " in mentions[0]


def test_a_nul_in_the_path_is_routed_and_logged_whole(procs, tmp_path, issuer, sts):
    srv, admin = admin_server(procs, tmp_path, issuer, sts)
    assert raw_get(srv.port, "/healthz%00.json")[0] == 404  # the old server routed "/healthz": 200
    assert raw_get(srv.port, "/v1/credentials%00")[0] == 404
    assert raw_get(srv.port, "/healthz%3f")[0] == 404  # a decoded "?" is part of the path, as before
    assert raw_get(srv.port, "/heal%74hz")[0] == 200  # other escapes decode as they did
    for lines in (stderr_lines(srv), ring_lines(srv, admin)):
        assert_only_credvend_lines(lines)
        text = "\n".join(lines)
        assert ' path="/healthz\\x00.json" ' in text and ' path="/v1/credentials\\x00" ' in text
        assert " path=/healthz? " in text and " path=/healthz " in text


def test_a_newline_in_a_signed_client_id_stays_in_one_line_of_each_log(procs, tmp_path, issuer, sts):
    audit = tmp_path / "audit.jsonl"
    srv = serve(procs, tmp_path, issuer, sts, "--audit-log", audit)
    # A line feed, a quote, a backslash, an NUL, non-ASCII, and U+2028 / U+0085, which
    # some readers (Python's splitlines among them) take for line breaks.
    cid = "nobody\n" + FORGED + ' "q" \\ \x00 é \u2028 \x85 end'
    st, hdrs, err = srv.vend(issuer.mint(cid))
    assert st == 403 and err["error"] == "access_denied"
    request_id = hdrs["X-Request-Id"]

    lines = stderr_lines(srv)
    assert_only_credvend_lines(lines)
    assert not any(line.startswith(FORGED[:24]) for line in lines)
    line = request_line(lines, request_id)
    assert (' client_id="nobody\\n' + FORGED + ' \\"q\\" \\\\ \\x00 \\xc3\\xa9 \\xe2\\x80\\xa8 \\xc2\\x85 end" ') in line
    assert len([x for x in lines if FORGED in x]) == 1

    raw = audit_lines(audit)
    assert len(raw) == 1
    assert all(0x20 <= b <= 0x7E for b in raw[0]), raw[0]  # ASCII alone: no reader finds a break in it
    assert len(audit.read_text().splitlines()) == 1
    record = json.loads(raw[0])
    assert record["client_id"] == cid and record["request_id"] == request_id and record["status"] == 403


def test_an_audit_record_cut_short_by_the_file_size_limit_is_rolled_back(procs, tmp_path, issuer, sts):
    audit = tmp_path / "audit.jsonl"
    # Earlier records, longer than the server's stderr log will grow while the limit holds
    # (the limit applies to every file the server writes).
    earlier = b"".join(json.dumps({"n": n, "pad": "x" * 200}).encode() + b"\n" for n in range(1000))
    audit.write_bytes(earlier)
    audit.chmod(0o600)
    srv = serve(procs, tmp_path, issuer, sts, "--audit-log", audit, "--audit-required")
    assert srv.vend(issuer.mint("nobody"))[0] == 403
    before = audit.read_bytes()
    assert len(audit_lines(audit)) == 1001

    # Room for 40 more bytes: the next record (some 300) is cut short.
    soft, hard = resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE)
    resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE, (len(before) + 40, hard))
    st, hdrs, err = srv.vend(issuer.mint("nobody"))
    assert st == 503 and err["error"] == "unavailable", (st, err)
    cut_id = hdrs["X-Request-Id"]
    assert audit.read_bytes() == before  # the part written was removed again
    assert "credvend_audit_write_failures_total 1" in http(srv.url + "/metrics")[2]

    # No room at all: the write fails with EFBIG and the kernel sends SIGXFSZ to the
    # writing thread, whose default action ends the process. The server ignores it (the
    # request threads block it, so at its default it would wait there, pending, to end the
    # process when unblocked); a child of Python starts with it at its default.
    resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE, (len(before), hard))
    st, hdrs, err = srv.vend(issuer.mint("nobody"))
    assert srv.proc.poll() is None, srv.log()[-2000:]
    assert st == 503 and err["error"] == "unavailable", (st, err)
    assert audit.read_bytes() == before
    assert "credvend_audit_write_failures_total 2" in http(srv.url + "/metrics")[2]
    assert signal_mask(srv.proc.pid, "SigIgn") & (1 << (signal.SIGXFSZ - 1))

    resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE, (soft, hard))
    st, hdrs, _ = srv.vend(issuer.mint("nobody"))
    assert st == 403
    lines = audit_lines(audit)
    assert len(lines) == 1002
    assert audit.read_bytes()[: len(before)] == before
    records = [json.loads(line) for line in lines]  # every line whole
    assert records[-1]["request_id"] == hdrs["X-Request-Id"] and records[-1]["status"] == 403
    assert cut_id.encode() not in audit.read_bytes()
    assert "audit record could not be written" in srv.log()
    assert "the part was removed" in srv.log()


def test_an_audit_path_turned_fifo_never_blocks_sighup_nor_the_sighups_after_it(procs, tmp_path, issuer, sts):
    admin, other = new_token(), new_token()
    tokens = token_file(tmp_path / "tokens", [("admin", admin), ("admin", other)])
    audit = tmp_path / "audit.jsonl"
    srv = serve(procs, tmp_path, issuer, sts, "--audit-log", audit, "--admin-token-file", tokens)
    assert srv.vend(issuer.mint("nobody"))[0] == 403
    rotated = tmp_path / "audit.jsonl.1"
    audit.rename(rotated)
    os.mkfifo(audit, 0o600)  # no reader, ever: a blocking open(2) for writing would wait forever

    srv.proc.send_signal(signal.SIGHUP)
    wait_for_log(srv.proc.log_path, re.compile(r"audit log not reopened"), timeout=3, proc=srv.proc)
    assert stat.S_ISFIFO(audit.stat().st_mode)
    fds = [os.readlink(f"/proc/{srv.proc.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{srv.proc.pid}/fd")]
    assert str(audit) not in fds

    # The next SIGHUP revokes a token: it takes effect at once.
    assert tcp_http(srv.port, "GET", "/admin/v1/info", token=admin)[0] == 200
    token_file(tokens, [("admin", other)])
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 2
    while tcp_http(srv.port, "GET", "/admin/v1/info", token=admin)[0] != 401:
        assert time.monotonic() < deadline, "the revoking SIGHUP never ran:\n" + srv.log()[-2000:]
        time.sleep(0.05)
    assert tcp_http(srv.port, "GET", "/admin/v1/info", token=other)[0] == 200

    # Still serving, and still auditing into the file it had open.
    assert http(srv.url + "/healthz")[0] == 200
    st, hdrs, _ = srv.vend(issuer.mint("nobody"))
    assert st == 403
    records = [json.loads(line) for line in audit_lines(rotated)]
    assert len(records) == 2 and records[-1]["request_id"] == hdrs["X-Request-Id"]
