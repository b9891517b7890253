#!/usr/bin/env python3
"""A stand-in for the AWS IoT credential provider, for trying `credvend tes` on one machine
(docs/tes.md, "Try it on one machine"). Usage: fake-iot-provider.py DIR [LIFETIME_SECONDS]

Writes a test CA, a device certificate for thing `thing-01` and its key into DIR (ca.pem,
device.pem, device.key), serves GET /role-aliases/device-role-alias/credentials over mutual
TLS on a free 127.0.0.1 port, writes that HOST:PORT to DIR/endpoint, and answers made-up
credentials (not valid at AWS) that live LIFETIME_SECONDS (default 3600). The same provider
the end-to-end tests use (tests/e2e/iot.py). Runs until SIGTERM or Ctrl-C."""
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from iot import PKI, FakeIoTProvider  # noqa: E402


def main(directory: str, lifetime: float) -> None:
    pki = PKI(Path(directory))
    provider = FakeIoTProvider(pki, lifetime=lifetime)
    (pki.dir / "endpoint").write_text(provider.endpoint + "\n")
    print(f"fake IoT credential provider on https://{provider.endpoint} (role alias device-role-alias, "
          f"thing thing-01); files in {pki.dir}", file=sys.stderr, flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    provider.close()


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.split("\n\n")[0])
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) == 3 else 3600)
