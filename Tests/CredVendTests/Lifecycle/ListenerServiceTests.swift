import Foundation
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendHTTP

/// The listeners' part of a graceful shutdown, as `credvend serve` runs it: a request
/// in flight finishes, and then nothing listens.
@Suite(.timeLimit(.minutes(1)))
struct ListenerServiceTests {
    @Test func aGracefulShutdownDrainsTheRequestInFlight() async throws {
        let echo = EchoHandler()
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(listen: .tcp(host: "127.0.0.1", port: 0), threadPoolSize: 2),
            handler: echo
        )
        try server.start()
        let port = try #require(server.boundPort)
        let client = CurlHTTPClient()
        try await testGracefulShutdown { trigger in
            async let slow = timedFetch(client, HTTPClientRequest(url: "http://127.0.0.1:\(port)/slow?ms=1000"))
            async let ran: Void = ListenerService([server], gracePeriod: .seconds(10)).run()
            #expect(try await echo.slowArrivals.wait())
            trigger.triggerGracefulShutdown()
            let (response, _) = try await slow
            #expect(response.status == 200)
            #expect(response.bodyText == "slow done")
            try await ran
        }
        await #expect(throws: CurlError.self) {
            try await fetch(client, HTTPClientRequest(url: "http://127.0.0.1:\(port)/"))
        }
    }
}
