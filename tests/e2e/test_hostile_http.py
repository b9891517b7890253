"""Hostile HTTP clients against the real `credvend serve`, over raw sockets:
connection-slot floods and trickled requests (the per-address limit, the
global limit, the whole-request deadline, their counts in /metrics), and
ambiguous request framing (400, connection closed, nothing behind it answered).
Every socket is on loopback; the flood comes from 127.0.0.1, the bystander
from 127.0.0.2."""
import os
import re
import resource
import select
import socket
import subprocess
import time

import pytest

from conftest import BIN
from e2elib import Serve, http, wait_for_log


def start(procs, tmp_path, issuer, sts, *args) -> Serve:
    s = Serve(procs, tmp_path, issuer.url, sts.url, args=list(args), wait_ready=False)
    deadline = time.monotonic() + 20
    while http(s.url + "/healthz", timeout=5)[0] != 200:
        assert time.monotonic() < deadline, s.log()
        time.sleep(0.1)
    return s


def connect(port: int, source: str = "127.0.0.1", timeout: float = 5.0) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_until_closed(s: socket.socket, timeout: float) -> tuple[bytes, bool]:
    """Everything the server sends within `timeout`, and whether it closed the connection."""
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def exchange(port: int, raw: bytes, source: str = "127.0.0.1", timeout: float = 5.0) -> tuple[bytes, bool]:
    s = connect(port, source)
    try:
        s.sendall(raw)
        return read_until_closed(s, timeout)
    finally:
        s.close()


def statuses(data: bytes) -> list[int]:
    """The status of each response in `data`, in order (bodies skipped by Content-Length)."""
    out, pos = [], 0
    while pos < len(data):
        m = re.match(rb"HTTP/1\.[01] (\d{3}) [^\r\n]*\r\n", data[pos:])
        assert m, f"not a response at byte {pos}: {data[pos:pos + 80]!r}"
        end = data.find(b"\r\n\r\n", pos)
        assert end >= 0, f"incomplete header block: {data[pos:]!r}"
        head = data[pos:end]
        length = re.search(rb"\r\ncontent-length: *(\d+)", head, re.I)
        out.append(int(m.group(1)))
        pos = end + 4 + (int(length.group(1)) if length else 0)
    return out


def metric(s: Serve, name: str, labels: str = "") -> float:
    status, _, text = http(s.url + "/metrics", timeout=5)
    assert status == 200
    m = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.M)
    assert m, f"{name}{labels} not in /metrics:\n{text}"
    return float(m.group(1))


def closed_by_server(socks: list[socket.socket], wait: float) -> int:
    """How many of `socks` the server has closed (readable at EOF or reset) after `wait` seconds."""
    time.sleep(wait)
    closed = 0
    for s in socks:
        poller = select.poll()
        poller.register(s, select.POLLIN)
        if poller.poll(0):
            try:
                if s.recv(1, socket.MSG_PEEK) == b"":
                    closed += 1
            except OSError:
                closed += 1
    return closed


def get_healthz_timed(port: int, source: str) -> tuple[float, bytes]:
    t0 = time.monotonic()
    data, _ = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", source, timeout=3)
    return time.monotonic() - t0, data


# ---------------------------------------------------------------------------
# Connection slots


FLOOD = 1100  # more than the old fixed limit of 1024 connections


def test_trickle_flood_from_one_address_leaves_others_answered(procs, tmp_path, issuer, sts):
    s = start(procs, tmp_path, issuer, sts)  # defaults: 64 per address
    time.sleep(0.3)
    flood: list[socket.socket] = []
    try:
        for _ in range(FLOOD):
            c = connect(s.port, "127.0.0.1")
            try:
                c.sendall(b"G")  # the first byte of a request that comes a byte every 20 s
            except OSError:
                pass
            flood.append(c)
        # A client from another address is answered at once.
        for _ in range(3):
            elapsed, data = get_healthz_timed(s.port, "127.0.0.2")
            assert statuses(data) == [200], f"/healthz from 127.0.0.2 during the flood: {data!r} after {elapsed:.2f} s"
            assert elapsed < 1.0, f"/healthz from 127.0.0.2 took {elapsed:.2f} s during the flood"
        # The flood holds its share, no more: the rest were refused at accept.
        refused_flood = closed_by_server(flood, 0.3)
        held = FLOOD - refused_flood
        assert 60 <= held <= 66, f"{held} flood connections still open"
        # One more from the flooding address is refused: closed, unanswered.
        data, closed = exchange(s.port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", "127.0.0.1", timeout=3)
        assert closed and data == b""
    finally:
        for c in flood:
            c.close()
    time.sleep(0.3)
    # Every flood connection the server closed, and the one more, was refused and counted.
    refused = metric(s, "credvend_connections_refused_total", '{reason="per_address"}')
    assert refused >= refused_flood + 1, (refused, refused_flood)
    assert metric(s, "credvend_connections_refused_total", '{reason="limit"}') == 0


def test_global_connection_limit_refuses_and_counts(procs, tmp_path, issuer, sts):
    s = start(procs, tmp_path, issuer, sts, "--connection-limit", "20", "--per-address-connection-limit", "0")
    time.sleep(0.3)  # the start-up probe's connection is gone
    flood: list[socket.socket] = []
    try:
        for _ in range(30):
            flood.append(connect(s.port, "127.0.0.1"))
        held = 30 - closed_by_server(flood, 0.5)
        assert 19 <= held <= 20, f"{held} connections open with --connection-limit 20"
        data, closed = exchange(s.port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", "127.0.0.2", timeout=3)
        assert closed and data == b""
    finally:
        for c in flood:
            c.close()
    time.sleep(0.3)
    assert metric(s, "credvend_connections_refused_total", '{reason="limit"}') >= 11
    assert metric(s, "credvend_connections_refused_total", '{reason="per_address"}') == 0


def test_connection_limit_is_sized_from_the_open_file_limit(procs, tmp_path, issuer, sts):
    def low_nofile():
        resource.setrlimit(resource.RLIMIT_NOFILE, (1000, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    base = [BIN, "serve", "--listen", "127.0.0.1:0", "--issuer", issuer.url, "--sts-endpoint", sts.url]
    env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    p = procs.start(base + ["--db", str(tmp_path / "db1")], env=env, name="serve", preexec_fn=low_nofile)
    wait_for_log(p.log_path, re.compile(r"credvend serve started.*"), proc=p)
    log = open(p.log_path, errors="replace").read()
    assert re.search(r"connection_limit=872\b", log), log  # 1000 less the 128 held back
    assert re.search(r"per_address_connection_limit=64\b", log) and re.search(r"request_deadline=10\b", log), log
    # A limit the descriptors cannot carry is refused before anything listens.
    r = subprocess.run(base + ["--db", str(tmp_path / "db2"), "--connection-limit", "5000"], env={**os.environ, **env},
                       capture_output=True, text=True, timeout=30, preexec_fn=low_nofile)
    assert r.returncode == 2, r.stderr
    assert "--connection-limit 5000" in r.stderr and "ulimit -n 1000" in r.stderr, r.stderr


def test_request_deadline_closes_a_trickled_head(procs, tmp_path, issuer, sts):
    s = start(procs, tmp_path, issuer, sts, "--request-deadline", "2")
    c = connect(s.port, "127.0.0.1")
    t0 = time.monotonic()
    closed_after = None
    received = b""
    try:
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        for b in b"X-Slow: " + b"a" * 40:  # a byte every 0.25 s: never idle for the 30 s timeout
            try:
                c.sendall(bytes([b]))
            except OSError:
                closed_after = time.monotonic() - t0
                break
            data, closed = read_until_closed(c, 0.25)
            received += data
            if closed:
                closed_after = time.monotonic() - t0
                break
    finally:
        c.close()
    assert closed_after is not None, "the trickled request was never cut off"
    assert 1.5 <= closed_after <= 3.5, f"closed after {closed_after:.2f} s with --request-deadline 2"
    assert received == b""
    assert metric(s, "credvend_connections_refused_total", '{reason="deadline"}') >= 1


def test_request_deadline_closes_a_trickled_body(procs, tmp_path, issuer, sts):
    s = start(procs, tmp_path, issuer, sts, "--request-deadline", "2")
    c = connect(s.port, "127.0.0.1")
    t0 = time.monotonic()
    closed_after = None
    try:
        c.sendall(b"POST /v1/credentials HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100\r\n\r\n")
        for _ in range(40):
            try:
                c.sendall(b"x")
            except OSError:
                closed_after = time.monotonic() - t0
                break
            data, closed = read_until_closed(c, 0.25)
            if closed:
                assert statuses(data) == [], data
                closed_after = time.monotonic() - t0
                break
    finally:
        c.close()
    assert closed_after is not None and 1.5 <= closed_after <= 3.5, closed_after
    # A quick request on a fresh connection is unaffected.
    assert statuses(exchange(s.port, b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")[0]) == [200]
    assert metric(s, "credvend_connections_refused_total", '{reason="deadline"}') >= 1


def test_request_deadline_closes_silent_and_idle_keep_alive_connections_as_idle(procs, tmp_path, issuer, sts):
    s = start(procs, tmp_path, issuer, sts, "--request-deadline", "2")
    silent = connect(s.port)
    kept = connect(s.port)
    t0 = time.monotonic()
    try:
        kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        first, closed = read_until_closed(kept, 1.0)
        assert statuses(first) == [200] and not closed  # kept alive, then idle
        _, silent_closed = read_until_closed(silent, 4.0)
        silent_after = time.monotonic() - t0
        _, kept_closed = read_until_closed(kept, 2.0)
        kept_after = time.monotonic() - t0
    finally:
        silent.close()
        kept.close()
    assert silent_closed and 1.5 <= silent_after <= 3.5, silent_after
    assert kept_closed and kept_after <= 4.0, kept_after
    assert metric(s, "credvend_connections_refused_total", '{reason="idle"}') >= 2
    assert metric(s, "credvend_connections_refused_total", '{reason="deadline"}') == 0


# ---------------------------------------------------------------------------
# Framing

SMUGGLED = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"

AMBIGUOUS = {
    "content-length-and-transfer-encoding":
        b"POST /v1/credentials HTTP/1.1\r\nHost: t\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\n" + SMUGGLED,
    "transfer-encoding-and-content-length":
        b"POST /v1/credentials HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n"
        b"0\r\n\r\n" + SMUGGLED,
    "two-content-lengths":
        b"POST /v1/credentials HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 37\r\n\r\n{}" + SMUGGLED,
    "space-before-colon":
        b"POST /v1/credentials HTTP/1.1\r\nHost: t\r\nContent-Length : 35\r\n\r\n" + SMUGGLED,
    "tab-before-colon":
        b"POST /v1/credentials HTTP/1.1\r\nHost: t\r\nContent-Length\t: 35\r\n\r\n" + SMUGGLED,
    "http11-without-host":
        b"GET /healthz HTTP/1.1\r\nAccept: */*\r\n\r\n" + SMUGGLED,
    "two-hosts":
        b"GET /healthz HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n" + SMUGGLED,
    "space-in-target":
        b"GET /healthz HTTP/1.1 HTTP/1.1\r\nHost: t\r\n\r\n" + SMUGGLED,
    "unknown-transfer-coding":
        b"POST /v1/credentials HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: identity\r\n\r\n" + SMUGGLED,
}


@pytest.mark.parametrize("case", sorted(AMBIGUOUS))
def test_ambiguous_framing_is_400_and_closes(procs, tmp_path, issuer, sts, case):
    s = start(procs, tmp_path, issuer, sts)
    data, closed = exchange(s.port, AMBIGUOUS[case], timeout=3)
    assert statuses(data) == [400], data  # one answer: the smuggled GET is never answered
    assert closed, "the connection stayed open after an ambiguous request"
    assert b"200 OK" not in data and b'"status":"ok"' not in data


def test_framing_refusals_are_counted(procs, tmp_path, issuer, sts):
    s = start(procs, tmp_path, issuer, sts)
    for case in ("content-length-and-transfer-encoding", "space-before-colon"):
        exchange(s.port, AMBIGUOUS[case], timeout=3)
    assert metric(s, "credvend_http_malformed_requests_total") == 2


def test_well_framed_pipelined_requests_are_all_answered(procs, tmp_path, issuer, sts):
    s = start(procs, tmp_path, issuer, sts)
    data, closed = exchange(s.port, SMUGGLED + b"POST /v1/credentials HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n"
                            b"Content-Type: application/json\r\n\r\n{}" + SMUGGLED.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"),
                            timeout=3)
    assert statuses(data) == [200, 400, 200], data
    assert closed


def test_expect_100_continue_over_the_limit_is_413_without_100(procs, tmp_path, issuer, sts):
    s = start(procs, tmp_path, issuer, sts)
    c = connect(s.port)
    try:
        c.sendall(b"POST /v1/credentials HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100000\r\nExpect: 100-continue\r\n\r\n")
        data, closed = read_until_closed(c, 3)
    finally:
        c.close()
    assert statuses(data) == [413], data
    assert b"100 Continue" not in data
    assert b"payload_too_large" in data
    assert closed


def test_expect_100_continue_within_the_limit_still_continues(procs, tmp_path, issuer, sts):
    s = start(procs, tmp_path, issuer, sts)
    c = connect(s.port)
    try:
        c.sendall(b"POST /v1/credentials HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
        first = c.recv(4096)
        assert first.startswith(b"HTTP/1.1 100 Continue"), first
        c.sendall(b"{}")
        data, _ = read_until_closed(c, 3)
    finally:
        c.close()
    assert statuses(first + data) == [100, 400], first + data
