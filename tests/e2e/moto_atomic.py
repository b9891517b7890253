"""moto_server whose requests take effect one at a time: `python3 moto_atomic.py HOST PORT`.

DynamoDB applies a conditional write atomically: two PutItems with the same
`version = :v` condition cannot both succeed. moto's threaded server checks the
condition and then stores the item with no lock between the two, so two writers
racing on one item can both pass the check and one update is lost in moto, not in
the client. Running each request under one lock gives moto DynamoDB's guarantee;
the server stays threaded, so a slow or kept-alive connection does not stall others
while they wait for the lock."""

import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def serialised(app):
    lock = threading.Lock()

    def call(environ, start_response):
        with lock:
            return list(app(environ, start_response))  # the whole answer, made under the lock

    return call


if __name__ == "__main__":
    host, port = sys.argv[1], int(sys.argv[2])
    run_simple(host, port, serialised(DomainDispatcherApplication(create_backend_app)), threaded=True)
