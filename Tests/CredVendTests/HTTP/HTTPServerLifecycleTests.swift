import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendHTTP
@testable import CredVendSync

@Suite(.timeLimit(.minutes(2)))
struct HTTPServerLifecycleTests {
    private func makeServer(_ listen: HTTPListenAddress, _ handler: some HTTPHandler = EchoHandler()) -> HTTPServer {
        HTTPServer(configuration: HTTPServerConfiguration(listen: listen, threadPoolSize: 2), handler: handler)
    }

    @Test func gracefulStopCompletesTheRequestInFlight() async throws {
        let echo = EchoHandler()
        let server = makeServer(.tcp(host: "127.0.0.1", port: 0), echo)
        try server.start()
        let port = try #require(server.boundPort)
        let client = CurlHTTPClient()
        async let slow = timedFetch(client, HTTPClientRequest(url: "http://127.0.0.1:\(port)/slow?ms=1500"))
        #expect(try await echo.slowArrivals.wait())  // in flight: stop must wait for it
        let stopSeconds = try await blocking { timed { server.stop(gracePeriod: .seconds(10)) }.1 }
        let (response, _) = try await slow
        #expect(response.status == 200)
        #expect(response.bodyText == "slow done")
        #expect(stopSeconds > 0.9 && stopSeconds < 5, "stop took \(stopSeconds) s")
        // Nothing listens any more.
        await #expect(throws: CurlError.self) {
            try await fetch(client, HTTPClientRequest(url: "http://127.0.0.1:\(port)/"))
        }
    }

    @Test func stopAnswers503WhenTheGracePeriodRunsOut() async throws {
        let held = Locked<[HTTPResponder]>([])  // keeps the responders alive, never answered
        let arrivals = Arrivals()
        let handler = HTTPClosureHandler { _ in
            .deferred { responder in
                held.withLock { $0.append(responder) }
                arrivals.arrive()
            }
        }
        let server = makeServer(.tcp(host: "127.0.0.1", port: 0), handler)
        try server.start()
        let port = try #require(server.boundPort)
        async let stuck = fetch(HTTPClientRequest(url: "http://127.0.0.1:\(port)/", timeout: .seconds(10)))
        #expect(try await arrivals.wait())
        let stopSeconds = try await blocking { timed { server.stop(gracePeriod: .milliseconds(500)) }.1 }
        let response = try await stuck
        #expect(response.status == 503)
        #expect(response.headers["retry-after"] == "1")
        #expect(response.headers["connection"] == "close")
        #expect(stopSeconds >= 0.4 && stopSeconds < 3, "stop took \(stopSeconds) s")
        held.withLock { $0.first?.respond(.text("too late")) }  // ignored: the daemon is gone
    }

    @Test func stopIsIdempotentAndRestartWorks() async throws {
        let server = makeServer(.tcp(host: "127.0.0.1", port: 0))
        try server.start()
        #expect(throws: HTTPServerError(.alreadyRunning, "")) { try server.start() }
        await server.stop(gracePeriod: .zero)
        await server.stop(gracePeriod: .zero)
        #expect(server.boundPort == nil)
        try server.start()
        let port = try #require(server.boundPort)
        let response = try await fetch(HTTPClientRequest(url: "http://127.0.0.1:\(port)/again"))
        #expect(response.status == 200)
        await server.stop()
    }

    @Test func addressInUseIsAClearError() async throws {
        try await withServer { _, port, _ in
            let second = makeServer(.tcp(host: "127.0.0.1", port: port))
            let error = #expect(throws: HTTPServerError.self) { try second.start() }
            #expect(error?.code == .socketFailed)
            #expect(error?.message.contains("127.0.0.1:\(port)") == true)
        }
    }

    @Test func unresolvableHostIsRefused() {
        let server = makeServer(.tcp(host: "no-such-host.invalid", port: 0))
        let error = #expect(throws: HTTPServerError.self) { try server.start() }
        #expect(error?.code == .invalidAddress)
    }

    // MARK: Unix socket

    @Test func unixSocketIsPrivateAndServes() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("admin.sock")
        let server = makeServer(.unix(path: path))
        try server.start()
        #expect(server.boundPort == nil)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(attributes[.type] as? FileAttributeType == .typeSocket)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // Nothing is left behind from the private bind directory.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["admin.sock"])

        let response = try await fetch(
            HTTPClientRequest(
                method: "POST",
                url: "http://localhost/admin/v1/info?x=1",
                body: Array("hi".utf8),
                unixSocketPath: path
            )
        )
        #expect(response.status == 200)
        #expect(response.bodyText == "hi")
        #expect(response.headers["x-echo-path"] == "/admin/v1/info")
        #expect(response.headers["x-echo-remote"] == "unix")

        await server.stop()
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func unixSocketRefusesARegularFileAndAMissingDirectory() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = dir.file("not-a-socket")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: file))
        let onFile = #expect(throws: HTTPServerError.self) { try makeServer(.unix(path: file)).start() }
        #expect(onFile?.code == .socketPathRefused)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "keep me")

        let missing = #expect(throws: HTTPServerError.self) {
            try makeServer(.unix(path: dir.file("no-such-dir/admin.sock"))).start()
        }
        #expect(missing?.code == .socketPathRefused)
        #expect(missing?.message.contains("does not exist") == true)

        let tooLong = #expect(throws: HTTPServerError.self) {
            try makeServer(.unix(path: dir.file(String(repeating: "x", count: 120)))).start()
        }
        #expect(tooLong?.code == .socketPathRefused)
    }

    @Test func unixSocketReplacesAStaleSocketButNotALiveOne() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("s.sock")
        // A socket file nobody listens on, as a crashed server leaves behind.
        try run(["python3", "-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path])
        #expect(FileManager.default.fileExists(atPath: path))

        let first = makeServer(.unix(path: path))
        try first.start()
        let second = makeServer(.unix(path: path))
        let live = #expect(throws: HTTPServerError.self) { try second.start() }
        #expect(live?.code == .socketPathRefused)
        let response = try await fetch(HTTPClientRequest(url: "http://localhost/still", unixSocketPath: path))
        #expect(response.status == 200)
        await first.stop()
    }
}
