import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendHTTP

/// The agent's sockets: a configured mode and group on the file, and the caller's
/// SO_PEERCRED in each request.
@Suite struct UnixSocketModeTests {
    struct PeerEcho: HTTPHandler {
        func handle(_ request: HTTPRequest) -> HandlerResult {
            let peer = request.peerCredentials
            return .respond(
                .text(peer.map { "\($0.pid) \($0.uid) \($0.gid)" } ?? "none")
            )
        }
    }

    @Test func socketGetsItsModeAndGroupAndRequestsCarryThePeer() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let probe = dir.file("probe")
        try Data().write(to: URL(fileURLWithPath: probe))
        let mine = try FileManager.default.attributesOfItem(atPath: probe)
        let uid = try #require((mine[.ownerAccountID] as? NSNumber)?.uint32Value)
        let ownGroup = try #require((mine[.groupOwnerAccountID] as? NSNumber)?.uint32Value)
        // root may give the socket any group; anyone else, their own.
        let group: UInt32 = uid == 0 ? 65534 : ownGroup
        let path = dir.file("agent.sock")
        var configuration = HTTPServerConfiguration(listen: .unix(path: path), threadPoolSize: 1)
        configuration.unixSocketMode = 0o660
        configuration.unixSocketGroup = group
        let server = HTTPServer(configuration: configuration, handler: PeerEcho())
        try server.start()
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(attributes[.type] as? FileAttributeType == .typeSocket)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o660)
        #expect((attributes[.groupOwnerAccountID] as? NSNumber)?.uint32Value == group)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["agent.sock", "probe"])

        let response = try await fetch(HTTPClientRequest(url: "http://localhost/", unixSocketPath: path))
        let fields = response.bodyText.split(separator: " ").map(String.init)
        #expect(fields.count == 3)
        #expect(fields.first == String(ProcessInfo.processInfo.processIdentifier))
        #expect(fields.dropFirst().first == String(uid))
        await server.stop()
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func tcpRequestsCarryNoPeerCredentials() async throws {
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(listen: .tcp(host: "127.0.0.1", port: 0), threadPoolSize: 1),
            handler: PeerEcho()
        )
        try server.start()
        let port = try #require(server.boundPort)
        let response = try await fetch(HTTPClientRequest(url: "http://127.0.0.1:\(port)/"))
        #expect(response.bodyText == "none")
        await server.stop()
    }
}
