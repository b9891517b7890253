import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendCrypto

@Suite struct AdminTokenStoreTests {
    static let adminToken = "admin-token-0123456789abcdef0123456789abcdef"
    static let readerToken = "reader-token-0123456789abcdef0123456789abcdef"

    static func store() -> AdminTokenStore {
        AdminTokenStore(entries: [
            AdminTokenEntry(role: .admin, sha256: SHA256.hash(adminToken), line: 1),
            AdminTokenEntry(role: .reader, sha256: SHA256.hash(readerToken), line: 2),
        ])
    }

    @Test func listedTokensGetTheirRoleAndHashPrefix() {
        let store = Self.store()
        #expect(
            store.authenticate(authorization: "Bearer \(Self.adminToken)")
                == .caller(
                    .token(role: .admin, tokenHashPrefix: String(Hex.encode(SHA256.hash(Self.adminToken)).prefix(8)))
                )
        )
        #expect(store.authenticate(authorization: "bearer  \(Self.readerToken) ") != .invalid)
        if case .caller(let caller) = store.authenticate(authorization: "BEARER \(Self.readerToken)") {
            #expect(caller.role == .reader)
        } else {
            Issue.record("reader token refused")
        }
    }

    @Test func unknownEmptyAndNearlyRightTokensAreInvalid() {
        let store = Self.store()
        var lastByte = Self.adminToken
        lastByte.removeLast()
        lastByte += "g"
        for header in [
            "Bearer unknown", "Bearer ", "Bearer", "Bearer \(lastByte)", "Bearer \(Self.adminToken)x",
            "Bearer \(Self.adminToken.dropLast())",
        ] {
            let result = store.authenticate(authorization: header)
            #expect(result == .invalid, "\(header)")
        }
    }

    @Test func noBearerHeaderIsMissing() {
        let store = Self.store()
        #expect(store.authenticate(authorization: nil) == .missing)
        #expect(store.authenticate(authorization: "Basic YWRtaW46eA==") == .missing)
        #expect(store.authenticate(authorization: "") == .missing)
    }

    @Test func reloadSwapsOnlyAValidFile() throws {
        let tmp = TempDir()
        let path = tmp.sub("tokens")
        func write(_ text: String) throws {
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        }
        try write("admin \(Hex.encode(SHA256.hash(Self.adminToken)))\n")
        let store = try AdminTokenStore(path: path)
        #expect(store.count == 1)
        try write("reader \(Hex.encode(SHA256.hash(Self.readerToken)))\n")
        #expect(try store.reload() == 1)
        #expect(store.authenticate(authorization: "Bearer \(Self.adminToken)") == .invalid)
        #expect(store.authenticate(authorization: "Bearer \(Self.readerToken)") != .invalid)
        try write("garbage\n")
        #expect(throws: AdminTokenFileError.self) { try store.reload() }
        #expect(store.authenticate(authorization: "Bearer \(Self.readerToken)") != .invalid)  // old entries kept
    }
}
