import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendHTTP
@testable import CredVendSync

@Suite(.timeLimit(.minutes(2)))
struct HTTPServerTests {
    @Test func getRoundTripWithHeadersAndQuery() async throws {
        try await withServer { _, port, _ in
            let response = try await fetch(
                HTTPClientRequest(
                    url: "http://127.0.0.1:\(port)/hello/w%20orld?a=1&b=two+x&c=%2F",
                    headers: [("X-Test", "abc")]
                )
            )
            #expect(response.status == 200)
            #expect(response.headers["x-echo-method"] == "GET")
            #expect(response.headers["x-echo-path"] == "/hello/w orld")
            #expect(response.headers["x-echo-query"] == "a=1&b=two+x&c=%2F")
            #expect(response.headers["x-echo-q-b"] == "two x")
            #expect(response.headers["x-echo-q-c"] == "/")
            #expect(response.headers["X-ECHO-TEST"] == "[abc]")
            #expect(response.headers["x-echo-remote"]?.hasPrefix("127.0.0.1:") == true)
            #expect(response.headers["content-length"] == "0")
            #expect(response.headers.fields.allSatisfy { $0.name == $0.name.lowercased() })
        }
    }

    @Test func postRoundTripKeepsBinaryBodyAndSendsNoExpect() async throws {
        try await withServer { _, port, _ in
            let body = (0..<4000).map { UInt8($0 % 256) }
            let response = try await fetch(
                HTTPClientRequest(
                    method: "POST",
                    url: "http://127.0.0.1:\(port)/echo",
                    headers: [("Content-Type", "application/octet-stream"), ("X-Test", "")],
                    body: body
                )
            )
            #expect(response.status == 200)
            #expect(response.body == body)
            #expect(response.headers["x-echo-method"] == "POST")
            #expect(response.headers["x-echo-expect"] == "(none)")
            #expect(response.headers["x-echo-test"] == "[]")
        }
    }

    @Test(arguments: ["PUT", "DELETE", "PATCH", "HEAD"])
    func otherMethods(method: String) async throws {
        try await withServer { _, port, _ in
            let body: [UInt8] = method == "PUT" || method == "PATCH" ? Array("payload".utf8) : []
            let response = try await fetch(
                HTTPClientRequest(method: method, url: "http://127.0.0.1:\(port)/m", body: body)
            )
            #expect(response.status == 200)
            #expect(response.headers["x-echo-method"] == method)
            #expect(response.headers["x-echo-body-length"] == String(body.count))
        }
    }

    @Test func bodyLimitIs16KiB() async throws {
        try await withServer { _, port, _ in
            let client = CurlHTTPClient()
            let atLimit = try await fetch(
                client,
                HTTPClientRequest(
                    method: "POST",
                    url: "http://127.0.0.1:\(port)/",
                    body: [UInt8](repeating: 7, count: 16384)
                )
            )
            #expect(atLimit.status == 200)
            #expect(atLimit.body.count == 16384)
            let over = try await fetch(
                client,
                HTTPClientRequest(
                    method: "POST",
                    url: "http://127.0.0.1:\(port)/",
                    body: [UInt8](repeating: 7, count: 16385)
                )
            )
            #expect(over.status == 413)
            #expect(over.headers["content-type"] == "application/json")
            let json = try JSONSerialization.jsonObject(with: Data(over.body)) as? [String: String]
            #expect(json?["error"] == "payload_too_large")
            let huge = try await fetch(
                client,
                HTTPClientRequest(
                    method: "POST",
                    url: "http://127.0.0.1:\(port)/",
                    body: [UInt8](repeating: 7, count: 1 << 20)
                )
            )
            #expect(huge.status == 413)
        }
    }

    /// The transport's per-connection memory bounds a request's head: 12 KiB of headers (a
    /// long bearer token and then some) is served, 17 KiB is answered 431, and the server goes on.
    @Test func aHeadOverTheConnectionMemoryIsRefusedAndTheServerGoesOn() async throws {
        try await withServer { _, port, _ in
            let client = CurlHTTPClient()
            func request(headerBytes: Int) -> HTTPClientRequest {
                HTTPClientRequest(
                    url: "http://127.0.0.1:\(port)/",
                    headers: [("X-Other", String(repeating: "t", count: headerBytes))]
                )
            }
            let fits = try await fetch(client, request(headerBytes: 12 * 1024))
            #expect(fits.status == 200)
            let over = try await fetch(client, request(headerBytes: 17 * 1024))
            #expect(over.status == 431)
            let after = try await fetch(client, HTTPClientRequest(url: "http://127.0.0.1:\(port)/after"))
            #expect(after.status == 200)
        }
    }

    @Test func requestHandedToHandlerHasTooLargeFlagAndNoMoreThanTheLimit() async throws {
        let seen = SeenRequests()
        let handler = HTTPClosureHandler { request in
            seen.record(request)
            return .respond(HTTPResponse(status: 204))
        }
        try await withServer(handler, maxBodyBytes: 100) { _, port in
            let url = "http://127.0.0.1:\(port)/"
            _ = try await fetch(HTTPClientRequest(method: "POST", url: url, body: [UInt8](repeating: 1, count: 100)))
            _ = try await fetch(HTTPClientRequest(method: "POST", url: url, body: [UInt8](repeating: 1, count: 101)))
        }
        let requests = seen.all
        #expect(requests.map(\.bodyTooLarge) == [false, true])
        #expect(requests[0].body.count == 100)
        #expect(requests[1].body.count <= 100)
    }

    /// One worker thread: if a parked deferred request held it, the fast requests could not
    /// be answered until the test released it, which it does only after they are.
    @Test func deferredResponseDoesNotBlockTheWorker() async throws {
        try await withServer(threads: 1) { _, port, echo in
            let client = CurlHTTPClient()
            let held = Task { try await fetch(client, HTTPClientRequest(url: "http://127.0.0.1:\(port)/held")) }
            #expect(try await echo.slowArrivals.wait())
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/fast")
            request.timeout = .seconds(20)
            let fast = try await blocking { [request] in try (0..<10).map { _ in try client.send(request) } }
            #expect(fast.allSatisfy { $0.status == 200 })
            echo.heldGate.signal()
            let heldResponse = try await held.value
            #expect(heldResponse.status == 200)
            #expect(heldResponse.bodyText == "held done")
        }
    }

    @Test func taskDeferredResponse() async throws {
        let handler = HTTPClosureHandler { request in
            .task {
                try? await Task.sleep(for: .milliseconds(100))
                return .text("from a task: \(request.path)")
            }
        }
        try await withServer(handler) { _, port in
            let response = try await fetch(HTTPClientRequest(url: "http://127.0.0.1:\(port)/t"))
            #expect(response.status == 200)
            #expect(response.bodyText == "from a task: /t")
        }
    }

    @Test func droppedResponderAnswers500() async throws {
        let handler = HTTPClosureHandler { _ in .deferred { _ in } }
        try await withServer(handler) { _, port in
            let response = try await fetch(HTTPClientRequest(url: "http://127.0.0.1:\(port)/"))
            #expect(response.status == 500)
        }
    }

    /// A deferred answer given on the worker's own thread before the handler returns (a full
    /// queue's 503) is sent in the same turn of its loop, not after the loop's idle wait of 1 s.
    @Test func aDeferredAnswerGivenOnTheWorkersThreadIsSentAtOnce() async throws {
        let handler = HTTPClosureHandler { _ in .deferred { responder in responder.respond(.text("now")) } }
        try await withServer(handler, threads: 1) { _, port in
            let client = CurlHTTPClient()
            for _ in 0..<3 {
                let response = try await fetch(
                    client,
                    HTTPClientRequest(url: "http://127.0.0.1:\(port)/", timeout: .milliseconds(500))
                )
                #expect(String(decoding: response.body, as: UTF8.self) == "now")
            }
        }
    }

    @Test func manyConcurrentClients() async throws {
        try await withServer { _, port, _ in
            let shared = CurlHTTPClient()
            try await withThrowingTaskGroup(of: Int.self) { group in
                for clientIndex in 0..<32 {
                    group.addTask {
                        try await blocking {
                            var ok = 0
                            for requestIndex in 0..<10 {
                                let body = Array("client \(clientIndex) request \(requestIndex)".utf8)
                                let response = try shared.send(
                                    HTTPClientRequest(
                                        method: "POST",
                                        url: "http://127.0.0.1:\(port)/c",
                                        body: body
                                    )
                                )
                                if response.status == 200 && response.body == body { ok += 1 }
                            }
                            return ok
                        }
                    }
                }
                var total = 0
                for try await ok in group { total += ok }
                #expect(total == 320)
            }
        }
    }

    @Test func keepAliveReusesTheConnection() async throws {
        try await withServer { _, port, _ in
            let client = CurlHTTPClient()
            let first = try await fetch(client, HTTPClientRequest(url: "http://127.0.0.1:\(port)/1"))
            let second = try await fetch(client, HTTPClientRequest(url: "http://127.0.0.1:\(port)/2"))
            #expect(first.headers["x-echo-remote"] != nil)
            #expect(first.headers["x-echo-remote"] == second.headers["x-echo-remote"])
        }
    }

    /// A client that stops halfway through its request line holds no worker: others are served
    /// while it waits for the test's go-ahead, which comes only after they are.
    @Test func slowClientDoesNotBlockOthers() async throws {
        try await withServer(threads: 1) { _, port, echo in
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let script = """
                import os, socket, sys, time
                s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
                for b in b"GET /":
                    s.sendall(bytes([b]))
                    time.sleep(0.2)
                open(sys.argv[2], "w").write("sending")
                for _ in range(300):
                    if os.path.exists(sys.argv[3]): break
                    time.sleep(0.1)
                else:
                    sys.exit(4)
                s.sendall(b"trickle HTTP/1.1\\r\\nHost: t\\r\\nConnection: close\\r\\n\\r\\n")
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk: break
                    data += chunk
                sys.exit(0 if data.startswith(b"HTTP/1.1 200") and b"/trickle" in data else 3)
                """
            let marker = dir.file("sending")
            let go = dir.file("go")
            let slow = try BackgroundProcess(python: script, [String(port), marker, go])
            defer { slow.stop() }
            #expect(try await blocking { waitForFile(marker) } != nil)  // the slow client is mid-request
            let client = CurlHTTPClient()
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/fast")
            request.timeout = .seconds(20)
            let responses = try await blocking { [request] in try (0..<10).map { _ in try client.send(request) } }
            #expect(responses.allSatisfy { $0.status == 200 })
            #expect(slow.isRunning, "the slow client should still be waiting to finish its request")
            try Data("go".utf8).write(to: URL(fileURLWithPath: go))
            let finished = try await blocking { slow.wait(timeout: 15) }
            #expect(finished)
            #expect(slow.exitStatus == 0, "the slow client's own request should be answered")
        }
    }
}

/// Requests seen by a closure handler, in order.
final class SeenRequests: Sendable {
    private let requests = Locked<[HTTPRequest]>([])
    func record(_ request: HTTPRequest) { requests.withLock { $0.append(request) } }
    var all: [HTTPRequest] { requests.withLock { $0 } }
}

func timedFetch(_ client: any HTTPClient, _ request: HTTPClientRequest) async throws -> (HTTPClientResponse, Double) {
    try await blocking { try timed { try client.send(request) } }
}
