import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendCrypto
@testable import CredVendHTTP

@Suite(.timeLimit(.minutes(1)))
struct HTTPClientTests {
    /// A port that was just free: bound by a server that has stopped.
    private func closedPort() async throws -> Int {
        try await withServer { _, port, _ in port }
    }

    @Test func closedPortIsCouldNotConnect() async throws {
        let port = try await closedPort()
        let error = await #expect(throws: CurlError.self) {
            try await fetch(HTTPClientRequest(url: "http://127.0.0.1:\(port)/"))
        }
        #expect(error?.kind == .couldNotConnect)
        #expect(error?.code == 7)
        #expect(error?.message.isEmpty == false)
    }

    @Test func unresolvableHostIsCouldNotConnect() async throws {
        let error = await #expect(throws: CurlError.self) {
            try await fetch(HTTPClientRequest(url: "http://no-such-host.invalid/", connectTimeout: .seconds(3)))
        }
        #expect(error?.kind == .couldNotConnect)
    }

    @Test func slowAnswerTimesOut() async throws {
        try await withServer { _, port, _ in
            let (result, elapsed) = try await blocking {
                timed {
                    Result {
                        try CurlHTTPClient().send(
                            HTTPClientRequest(
                                url: "http://127.0.0.1:\(port)/slow?ms=3000",
                                timeout: .milliseconds(500)
                            )
                        )
                    }
                }
            }
            #expect(throws: CurlError.self) { try result.get() }
            if case .failure(let error as CurlError) = result { #expect(error.kind == .timeout) }
            #expect(elapsed >= 0.45 && elapsed < 2.5, "timed out after \(elapsed) s")
        }
    }

    @Test func responseBodyIsCapped() async throws {
        let big = [UInt8](repeating: 0x61, count: 2 << 20)
        let handler = HTTPClosureHandler { _ in .respond(HTTPResponse(status: 200, body: big)) }
        try await withServer(handler) { _, port in
            let url = "http://127.0.0.1:\(port)/big"
            let error = await #expect(throws: CurlError.self) { try await fetch(HTTPClientRequest(url: url)) }
            #expect(error?.kind == .responseTooLarge)
            let allowed = try await fetch(HTTPClientRequest(url: url, maxResponseBytes: 4 << 20))
            #expect(allowed.body.count == big.count)
        }
    }

    @Test func malformedHeadersAndMethodsAreRefusedWithoutEchoingValues() async throws {
        try await withServer { _, port, _ in
            let url = "http://127.0.0.1:\(port)/"
            let injected = await #expect(throws: CurlError.self) {
                try await fetch(
                    HTTPClientRequest(url: url, headers: [("Authorization", "Bearer secret-token\r\nX-Evil: 1")])
                )
            }
            #expect(injected?.kind == .other)
            #expect(injected?.description.contains("secret-token") == false)
            #expect(injected?.description.contains("Authorization") == true)

            let badName = await #expect(throws: CurlError.self) {
                try await fetch(HTTPClientRequest(url: url, headers: [("Bad Name", "v")]))
            }
            #expect(badName?.kind == .other)
            let badMethod = await #expect(throws: CurlError.self) {
                try await fetch(HTTPClientRequest(method: "GET / HTTP/1.1\r\n", url: url))
            }
            #expect(badMethod?.kind == .other)
        }
    }

    @Test func errorsNeverCarrySecretsFromHeadersOrBody() async throws {
        let port = try await closedPort()
        let error = await #expect(throws: CurlError.self) {
            try await fetch(
                HTTPClientRequest(
                    method: "POST",
                    url: "http://127.0.0.1:\(port)/v1/credentials",
                    headers: [("Authorization", "Bearer eyJ-very-secret")],
                    body: Array("{\"access_token\":\"tok-secret\"}".utf8)
                )
            )
        }
        let text = error.map { "\($0) \($0.message)" } ?? ""
        #expect(!text.contains("very-secret"))
        #expect(!text.contains("tok-secret"))
    }

    @Test func handlesAreReusedAcrossThreadsOneAtATime() async throws {
        try await withServer { _, port, _ in
            let client = CurlHTTPClient(maxIdleHandles: 2)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await blocking {
                            try (0..<25).reduce(0) { count, _ in
                                let response = try client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/p"))
                                return count + (response.status == 200 ? 1 : 0)
                            }
                        }
                    }
                }
                var total = 0
                for try await count in group { total += count }
                #expect(total == 200)
            }
        }
    }

    /// One pooled handle, set up once per kind of request: each request still goes out with
    /// its own method, body and headers, none left over from the one before.
    @Test func aReusedHandleSendsEachRequestsOwnMethodBodyAndHeaders() async throws {
        let handler = HTTPClosureHandler { r in
            let line =
                "\(r.method) \(r.path) [\(String(decoding: r.body, as: UTF8.self))] "
                + "n=\(r.headers["x-n"] ?? "-") old=\(r.headers["x-old"] ?? "-")"
            return .respond(HTTPResponse(status: 200, headers: ["X-Line": line], body: Array(line.utf8)))
        }
        try await withServer(handler) { _, port in
            let client = CurlHTTPClient(maxIdleHandles: 1)
            let url = "http://127.0.0.1:\(port)"
            let requests: [(HTTPClientRequest, String)] = [
                (
                    .init(
                        method: "POST",
                        url: url + "/a",
                        headers: [("X-N", "1"), ("X-Old", "y")],
                        body: Array("one".utf8)
                    ),
                    "POST /a [one] n=1 old=y"
                ),
                (
                    .init(method: "POST", url: url + "/b", headers: [("X-N", "2")], body: Array("second".utf8)),
                    "POST /b [second] n=2 old=-"
                ),
                (.init(url: url + "/c"), "GET /c [] n=- old=-"),
                (.init(method: "POST", url: url + "/d", headers: [("X-N", "4")]), "POST /d [] n=4 old=-"),
                (.init(method: "PUT", url: url + "/e", body: Array("put".utf8)), "PUT /e [put] n=- old=-"),
                (.init(method: "POST", url: url + "/f", body: Array("x".utf8)), "POST /f [x] n=- old=-"),
            ]
            for (request, expected) in requests {
                let response = try await fetch(client, request)
                #expect(String(decoding: response.body, as: UTF8.self) == expected)
            }
            let head = try await fetch(client, HTTPClientRequest(method: "HEAD", url: url + "/g"))
            #expect(head.body.isEmpty)
            #expect(head.headers["x-line"] == "HEAD /g [] n=- old=-")
            let after = try await fetch(client, HTTPClientRequest(url: url + "/h"))
            #expect(String(decoding: after.body, as: UTF8.self) == "GET /h [] n=- old=-")
        }
    }

    /// Header lines are built byte by byte for libcurl and response headers handed to
    /// libmicrohttpd through C strings: short (kept inside the String) and long names and
    /// values, an empty value, inner spaces, and more fields than either side reserves room for.
    @Test func headersOfEverySizeArriveAsSentBothWays() async throws {
        let long = String(repeating: "v", count: 300)
        let sent: [(String, String)] =
            [("X-A", "1"), ("X-Empty", ""), ("X-Spaces", "a b  c"), ("X-Long-Header-Name-Here", long)]
            + (0..<12).map { ("X-N\($0)", "value \($0)") }
        let handler = HTTPClosureHandler { r in
            let echoed = r.headers.filter { $0.name.lowercased().hasPrefix("x-") }
                .map { "\($0.name.lowercased())=\($0.value)" }.joined(separator: "\n")
            var headers = HTTPHeaders()
            headers.add("X-S", "s")
            headers.add("X-Response-Long-Name-\(long.count)", long)
            for i in 0..<12 { headers.add("X-R\(i)", "r\(i)") }
            return .respond(HTTPResponse(status: 200, headers: headers, body: Array(echoed.utf8)))
        }
        try await withServer(handler) { _, port in
            let client = CurlHTTPClient(maxIdleHandles: 1)
            for _ in 0..<2 {  // the second on the reused handle
                let response = try await fetch(
                    client,
                    HTTPClientRequest(url: "http://127.0.0.1:\(port)/h", headers: sent)
                )
                let expected = sent.map { "\($0.0.lowercased())=\($0.1)" }.joined(separator: "\n")
                #expect(String(decoding: response.body, as: UTF8.self) == expected)
                #expect(response.headers["x-s"] == "s")
                #expect(response.headers["x-response-long-name-300"] == long)
                #expect((0..<12).allSatisfy { response.headers["x-r\($0)"] == "r\($0)" })
            }
        }
    }

    @Test func headerSyntax() {
        #expect(HeaderSyntax.isToken("X-Amz-Date"))
        #expect(HeaderSyntax.isToken("POST"))
        #expect(!HeaderSyntax.isToken(""))
        #expect(!HeaderSyntax.isToken("Bad Name"))
        #expect(!HeaderSyntax.isToken("a:b"))
        #expect(HeaderSyntax.isFieldValue("AWS4-HMAC-SHA256 Credential=a/b, Signature=c\tx"))
        #expect(!HeaderSyntax.isFieldValue("a\r\nb"))
        #expect(!HeaderSyntax.isFieldValue("a\u{0}b"))
    }
}
