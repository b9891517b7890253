import Foundation

@testable import CredVendCore
@testable import CredVendHTTP
@testable import CredVendSync

/// Echoes what it received: the body as the body, the rest in `X-Echo-*` headers.
/// `/slow?ms=N` answers deferred, from another thread, after N ms; `slowArrivals` counts them,
/// so a test can wait until its slow request is really in the server. `/held` answers
/// deferred once the test opens `heldGate` (or after 30 s), so a test can order events
/// without reading the clock.
struct EchoHandler: HTTPHandler {
    let slowArrivals = Arrivals()
    let heldGate = DispatchSemaphore(value: 0)

    func handle(_ request: HTTPRequest) -> HandlerResult {
        if request.bodyTooLarge { return .respond(.payloadTooLarge(limit: 16 * 1024)) }
        if request.path == "/slow" {
            slowArrivals.arrive()
            let delay = Double(request.query["ms"] ?? "1000").map { $0 / 1000 } ?? 1
            return .deferred { responder in
                Thread.detachNewThread {
                    Thread.sleep(forTimeInterval: delay)
                    responder.respond(.text("slow done"))
                }
            }
        }
        if request.path == "/held" {
            slowArrivals.arrive()
            return .deferred { [heldGate] responder in
                Thread.detachNewThread {
                    let opened = heldGate.wait(timeout: .now() + 30) == .success
                    responder.respond(.text(opened ? "held done" : "held timed out"))
                }
            }
        }
        var headers: HTTPHeaders = [
            "X-Echo-Method": request.method,
            "X-Echo-Path": request.path,
            "X-Echo-Query": request.queryString,
            "X-Echo-Remote": request.remoteAddress,
            "X-Echo-Body-Length": String(request.body.count),
            "X-Echo-Expect": request.headers["expect"] ?? "(none)",
        ]
        if let value = request.headers["x-test"] { headers.add("X-Echo-Test", "[\(value)]") }
        for (name, value) in request.query.sorted(by: { $0.key < $1.key }) { headers.add("X-Echo-Q-\(name)", value) }
        return .respond(HTTPResponse(status: 200, headers: headers, body: request.body))
    }
}

/// Counts requests that reached a handler.
final class Arrivals: Sendable {
    private let count = Locked(0)
    func arrive() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }

    /// Waits (on its own thread) until `n` requests have arrived; false after 10 s.
    func wait(for n: Int = 1) async throws -> Bool {
        try await blocking { waitUntil(timeout: 10) { self.value >= n } }
    }
}

/// A server on 127.0.0.1, port 0, with an `EchoHandler`, stopped when `body` returns.
func withServer<T>(
    threads: Int = 2,
    maxBodyBytes: Int = 16 * 1024,
    _ body: (HTTPServer, Int, EchoHandler) async throws -> T
) async throws -> T {
    let handler = EchoHandler()
    return try await withServer(handler, threads: threads, maxBodyBytes: maxBodyBytes) {
        try await body($0, $1, handler)
    }
}

func withServer<T>(
    _ handler: some HTTPHandler,
    threads: Int = 2,
    maxBodyBytes: Int = 16 * 1024,
    transfers: WorkerTransfers? = nil,
    _ body: (HTTPServer, Int) async throws -> T
) async throws -> T {
    let server = HTTPServer(
        configuration: HTTPServerConfiguration(
            listen: .tcp(host: "127.0.0.1", port: 0),
            threadPoolSize: threads,
            connectionTimeoutSeconds: 10,
            maxBodyBytes: maxBodyBytes
        ),
        handler: handler,
        transfers: transfers
    )
    try server.start()
    do {
        let value = try await body(server, server.boundPort ?? 0)
        await server.stop(gracePeriod: .seconds(2))
        return value
    } catch {
        await server.stop(gracePeriod: .zero)
        throw error
    }
}

/// One request with a fresh or given client, on its own thread.
func fetch(_ client: any HTTPClient, _ request: HTTPClientRequest) async throws -> HTTPClientResponse {
    try await blocking { try client.send(request) }
}

func fetch(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
    try await fetch(CurlHTTPClient(), request)
}
