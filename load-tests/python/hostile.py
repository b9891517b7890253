#!/usr/bin/env python3
"""The attackers of `load-tests/run hostile` (load-tests/README.md).

From the moment --mark appears (the valid clients' measured phase begins) and for
--duration seconds, against `credvend serve` on 127.0.0.1:--port, each attack from its
own loopback source address (the socket is bound before connect), so that the server's
per-address connection limit is what meets each of them, and the valid clients on
127.0.0.1 share no address with any:

  127.0.0.2, 127.0.0.3  trickle: --trickle-per-address connections each (beyond the
                        limit), a request head sent one byte every --trickle-interval s
  127.0.0.4             smuggling attempts (a new connection each) and garbage bodies
  127.0.0.5             forged-kid tokens and 16 KiB tokens

Tokens are built from one real token (--token, minted by dev-idp): a forged kid is a
new header on its claims; a 16 KiB token has a padded payload and so a signature that
does not verify. Each is used once, so no refusal is served from the server's cache.

Every attempt's outcome (the statuses it got, whether the server closed) is counted and
written to --out as JSON. Standard library only, loopback only, bounded by time.
"""

import argparse
import asyncio
import base64
import collections
import json
import os
import random
import resource
import socket
import sys
import time

TRICKLE_ADDRESSES = ["127.0.0.2", "127.0.0.3"]
SMUGGLE_ADDRESS = "127.0.0.4"
TOKEN_ADDRESS = "127.0.0.5"
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)
HOST = b"Host: 127.0.0.1\r\n"
# What a smuggled request would reach: any second answer on the connection is one.
HIDDEN = b"GET /metrics HTTP/1.1\r\n" + HOST + b"\r\n"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Tokens:
    """Unique hostile tokens made from one real token's parts."""

    def __init__(self, token: str):
        header, payload, self.signature = token.split(".")
        self.header = json.loads(unb64(header))
        self.claims = json.loads(unb64(payload))
        self.header_part = header
        self.n = 0

    def forged_kid(self) -> str:
        self.n += 1
        header = dict(self.header, kid=f"forged-{os.getpid()}-{self.n}-{random.getrandbits(32):08x}")
        return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(self.claims).encode()), self.signature])

    def sixteen_kib(self) -> str:
        """A token of 16,384 bytes (the token limit; 16,383 when base64 cannot meet it
        exactly) with a valid kid and a signature that does not match its payload."""
        self.n += 1
        claims = dict(self.claims, jti=f"{os.getpid()}-{self.n}-{random.getrandbits(32):08x}", pad="")
        room = 16384 - len(self.header_part) - 2 - len(self.signature)
        estimate = room * 3 // 4 - len(json.dumps(claims))
        best = ""
        for pad in range(estimate - 4, estimate + 4):
            claims["pad"] = "x" * pad
            payload = b64(json.dumps(claims).encode())
            if len(best) < len(payload) <= room:
                best = payload
        return ".".join([self.header_part, best, self.signature])


def credential_request(token: str, in_header: bool = False) -> bytes:
    if in_header:
        return (
            b"POST /v1/credentials HTTP/1.1\r\n" + HOST + b"Authorization: Bearer " + token.encode() + b"\r\n"
            b"Content-Length: 0\r\n\r\n"
        )
    body = json.dumps({"access_token": token}).encode()
    return (
        b"POST /v1/credentials HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


def smuggling_payloads() -> dict:
    """Each: (bytes, expected outcome). An ambiguous head must get one 400 and a close."""
    post = b"POST /v1/credentials HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
    end = b"0\r\n\r\n"
    tail = end + HIDDEN
    n = str(len(tail)).encode()
    return {
        "cl_te": (post + b"Content-Length: " + n + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + tail, "400/closed"),
        "te_cl": (post + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n" + tail, "400/closed"),
        "two_content_lengths": (post + b"Content-Length: 0\r\nContent-Length: " + n + b"\r\n\r\n" + tail, "400/closed"),
        "space_before_colon": (
            post + b"Content-Length: " + n + b"\r\nTransfer-Encoding : chunked\r\n\r\n" + tail,
            "400/closed",
        ),
        "te_not_chunked": (
            post + b"Transfer-Encoding: xchunked\r\nContent-Length: " + n + b"\r\n\r\n" + tail,
            "400/closed",
        ),
        "te_on_http10": (
            b"POST /v1/credentials HTTP/1.0\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n" + tail,
            "400/closed",
        ),
        # An ambiguous request with a request pipelined behind it in the same write.
        "pipelined_behind_two_hosts": (
            b"POST /v1/credentials HTTP/1.1\r\n" + HOST + HOST + b"Content-Length: 0\r\n\r\n" + HIDDEN,
            "400/closed",
        ),
        # Well framed: the request text is only a body (not a JSON object), one answer.
        "request_in_body": (post + b"Content-Length: " + str(len(HIDDEN)).encode() + b"\r\n\r\n" + HIDDEN, "400/open"),
    }


def garbage_bodies(rng: random.Random):
    """Bodies that are not a token request; framing correct, so each gets an answer."""
    kinds = {
        "random_bytes": lambda: rng.randbytes(rng.randint(1, 8192)),
        "deep_nesting": lambda: b"[" * rng.randint(1000, 8000),
        "token_not_string": lambda: b'{"access_token": ' + str(rng.getrandbits(60)).encode() + b"}",
        "truncated_json": lambda: b'{"access_token": "eyJhbGciOiJSUzI1NiJ9.' + rng.randbytes(32).hex().encode(),
        "invalid_utf8": lambda: b'{"access_token": "\xff\xfe' + rng.randbytes(64) + b'"}',
        "nul_bytes": lambda: b"\x00" * rng.randint(1, 4096),
    }
    name = rng.choice(sorted(kinds))
    body = kinds[name]()
    return name, (
        b"POST /v1/credentials HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


async def connect(src: str, port: int):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        sock.bind((src, 0))
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        return await asyncio.open_connection(sock=sock)
    except BaseException:
        sock.close()
        raise


class Stream:
    """A connection's reading side with its own buffer, so pipelined answers stay apart."""

    def __init__(self, reader, writer):
        self.reader, self.writer, self.buf = reader, writer, bytearray()

    async def fill(self) -> bool:
        chunk = await self.reader.read(65536)
        self.buf += chunk
        return bool(chunk)

    async def response(self):
        """The next response: (status, close), or None at end of stream before any byte of it."""
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            if not await self.fill():
                if not self.buf:
                    return None
                raise ConnectionError("stream ended inside a response head")
        lines = bytes(self.buf[:end]).split(b"\r\n")
        status = int(lines[0].split(b" ")[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        while len(self.buf) < end + 4 + length:
            if not await self.fill():
                raise ConnectionError("stream ended inside a response body")
        del self.buf[: end + 4 + length]
        return status, close


async def open_stream(src: str, port: int) -> Stream:
    return Stream(*await asyncio.wait_for(connect(src, port), 5))


class Attack:
    def __init__(self, args):
        self.args = args
        self.port = args.port
        self.counts = collections.defaultdict(collections.Counter)
        self.expected = {}
        self.stop_at = 0.0
        self.rng = random.Random(args.seed)
        self.tokens = Tokens(open(args.token).read().strip())
        self.smuggles = sorted(smuggling_payloads().items())
        self.trickle_open = collections.Counter()  # held for 1 s or more, now
        self.trickle_peak = collections.Counter()
        self.trickle_lifetimes = []
        self.writers = set()

    def left(self) -> float:
        return self.stop_at - time.monotonic()

    async def paced(self, rate: float, workers: int, attempt):
        """`workers` loops sharing `rate` attempts/s; a late loop skips, it does not burst."""

        async def loop(k):
            interval = workers / rate
            due = time.monotonic() + interval * k / workers
            while True:
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(min(wait, max(0.0, self.left())))
                if self.left() <= 0:
                    return
                await attempt()
                due = max(due + interval, time.monotonic() - interval)

        await asyncio.gather(*(loop(k) for k in range(workers)))

    async def one_shot(self, kind: str, payload: bytes, src: str):
        """A new connection, `payload` in one write, every answer read until the server closes
        or 0.5 s pass without one (a hidden request's answer would come within that)."""
        try:
            s = await open_stream(src, self.port)
        except (OSError, asyncio.TimeoutError) as e:
            self.counts[kind][f"connect error {type(e).__name__}"] += 1
            return
        self.writers.add(s.writer)
        statuses, state = [], "open"
        try:
            s.writer.write(payload)
            await s.writer.drain()
            while True:
                r = await asyncio.wait_for(s.response(), 0.5)
                if r is None:
                    state = "closed"
                    break
                statuses.append(str(r[0]))
                if r[1]:
                    # Connection: close; the server must send nothing more (no hidden answer).
                    more = s.buf or await asyncio.wait_for(s.fill(), 2) and s.buf
                    state = "data after close" if more else "closed"
                    break
        except asyncio.TimeoutError:
            pass
        except OSError:
            state = "reset"
        finally:
            self.writers.discard(s.writer)
            s.writer.close()
        self.counts[kind]["+".join(statuses or ["no answer"]) + "/" + state] += 1

    async def smuggle(self):
        name, (payload, expected) = self.rng.choice(self.smuggles)
        self.expected["smuggle " + name] = expected
        await self.one_shot("smuggle " + name, payload, SMUGGLE_ADDRESS)

    def keep_alive(self, kind: str, src: str, make):
        """An attempt that sends `make()` (name, bytes) on a kept-alive connection, and
        reconnects when the server closed it."""
        conn = []

        async def attempt():
            name, payload = make()
            try:
                if not conn:
                    conn.append(await open_stream(src, self.port))
                    self.writers.add(conn[0].writer)
                conn[0].writer.write(payload)
                await conn[0].writer.drain()
                r = await asyncio.wait_for(conn[0].response(), 5)
                outcome = "closed, no answer" if r is None else str(r[0]) + ("/closed" if r[1] else "")
                done = r is None or r[1]
            except asyncio.TimeoutError:
                outcome, done = "timeout", True
            except OSError as e:
                outcome, done = f"error {type(e).__name__}", True
            self.counts[kind + " " + name][outcome] += 1
            if done and conn:
                self.writers.discard(conn[0].writer)
                conn.pop().writer.close()

        return attempt

    async def trickle(self, src: str):
        """One trickling connection, again and again: a head that never ends, a byte at a time."""
        head = (
            b"POST /v1/credentials HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
            b"X-Trickle: " + b"a" * 4096 + b"\r\n"
        )
        kind = "trickle"
        while self.left() > 0:
            t0 = time.monotonic()
            try:
                reader, writer = await asyncio.wait_for(connect(src, self.port), 5)
            except (OSError, asyncio.TimeoutError) as e:
                self.counts[kind][f"connect error {type(e).__name__}"] += 1
                await asyncio.sleep(1)
                continue
            self.writers.add(writer)
            held, sent, outcome = False, 0, None
            try:
                while self.left() > 0 and outcome is None:
                    if sent < len(head):
                        writer.write(head[sent : sent + 1])
                        sent += 1
                        await writer.drain()
                    try:
                        data = await asyncio.wait_for(reader.read(4096), min(self.args.trickle_interval, self.left()))
                        outcome = "answered " + data[9:12].decode(errors="replace") if data else "closed"
                    except asyncio.TimeoutError:
                        pass
                    if not held and outcome is None and time.monotonic() - t0 >= 1:
                        held = True
                        self.trickle_open[src] += 1
                        self.trickle_peak[src] = max(self.trickle_peak[src], self.trickle_open[src])
            except OSError:
                outcome = "closed"  # reset, or the write after the server's close
            finally:
                self.writers.discard(writer)
                writer.close()
                if held:
                    self.trickle_open[src] -= 1
            life = time.monotonic() - t0
            if outcome is None:
                outcome = "still open at the end"
            elif outcome == "closed":
                self.trickle_lifetimes.append(life)
                outcome = "closed by the server within 1 s (refused at accept)" if life < 1 else (
                    f"closed by the server after {int(life // 5 * 5)}-{int(life // 5 * 5 + 5)} s"
                )
            self.counts[kind][outcome] += 1
            await asyncio.sleep(self.args.reconnect_delay)

    async def run(self):
        a = self.args
        for _ in range(int(a.wait_for_mark * 20)):
            if os.path.exists(a.mark):
                break
            await asyncio.sleep(0.05)
        else:
            sys.exit(f"hostile.py: {a.mark} did not appear within {a.wait_for_mark} s")
        started = time.time()
        self.stop_at = time.monotonic() + a.duration
        tokens = self.tokens
        jobs = [self.trickle(src) for src in TRICKLE_ADDRESSES for _ in range(a.trickle_per_address)]
        jobs.append(self.paced(a.smuggle_rate, 16, self.smuggle))

        def garbage():
            return garbage_bodies(self.rng)

        def forged():
            return "body", credential_request(tokens.forged_kid())

        def big_in_body():
            return "in body", credential_request(tokens.sixteen_kib())

        def big_in_header():
            return "in Authorization", credential_request(tokens.sixteen_kib(), in_header=True)

        for w in range(4):
            jobs.append(self.paced(a.garbage_rate / 4, 1, self.keep_alive("garbage", SMUGGLE_ADDRESS, garbage)))
            jobs.append(self.paced(a.forged_rate / 4, 1, self.keep_alive("forged kid", TOKEN_ADDRESS, forged)))
            big = big_in_body if w % 2 else big_in_header
            jobs.append(self.paced(a.big_rate / 4, 1, self.keep_alive("16 KiB token", TOKEN_ADDRESS, big)))
        await asyncio.gather(*jobs)
        for w in list(self.writers):
            w.close()
        lifetimes = sorted(self.trickle_lifetimes)
        slow = [x for x in lifetimes if x >= 1]
        report = {
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "seconds": round(time.time() - started, 1),
            "addresses": {
                "trickle": TRICKLE_ADDRESSES,
                "smuggle and garbage": SMUGGLE_ADDRESS,
                "forged kid and 16 KiB tokens": TOKEN_ADDRESS,
            },
            "16_kib_token_bytes": len(self.tokens.sixteen_kib()),
            "cpu_seconds": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 1),
            "settings": {
                k: getattr(a, k)
                for k in [
                    "trickle_per_address", "trickle_interval", "reconnect_delay", "smuggle_rate",
                    "garbage_rate", "forged_rate", "big_rate",
                ]
            },
            "outcomes": {k: dict(v) for k, v in sorted(self.counts.items())},
            "attempts": {k: sum(v.values()) for k, v in sorted(self.counts.items())},
            "expected": dict(sorted(self.expected.items())),
            "unexpected": {
                k: {o: n for o, n in self.counts[k].items() if o != e} for k, e in sorted(self.expected.items())
                if any(o != e for o in self.counts[k])
            },
            "trickle_held_peak_per_address": dict(self.trickle_peak),
            "trickle_closed_after_1s_seconds": {
                "count": len(slow),
                "min": round(slow[0], 2) if slow else None,
                "median": round(slow[len(slow) // 2], 2) if slow else None,
                "max": round(slow[-1], 2) if slow else None,
            },
        }
        with open(a.out, "w") as f:
            json.dump(report, f, indent=1)
        total = sum(report["attempts"].values())
        print(f"hostile.py: {total} attacker attempts in {report['seconds']} s", file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True, help="file holding one valid token (the template)")
    p.add_argument("--mark", required=True, help="start when this file exists")
    p.add_argument("--wait-for-mark", type=float, default=600)
    p.add_argument("--duration", type=float, default=600)
    p.add_argument("--out", required=True)
    p.add_argument("--trickle-per-address", type=int, default=80)
    p.add_argument("--trickle-interval", type=float, default=2)
    p.add_argument("--reconnect-delay", type=float, default=0.5)
    p.add_argument("--smuggle-rate", type=float, default=100)
    p.add_argument("--garbage-rate", type=float, default=100)
    p.add_argument("--forged-rate", type=float, default=200)
    p.add_argument("--big-rate", type=float, default=100)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    if args.duration > 3600:
        sys.exit("hostile.py: --duration is capped at 3600 s")
    asyncio.run(Attack(args).run())


if __name__ == "__main__":
    main()
