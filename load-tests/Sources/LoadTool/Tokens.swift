import CredVend
import CredVendCore
import CredVendCrypto
import CredVendHTTP
import CredVendStore
import CredVendSync
import Foundation
import Glibc
import Synchronization

/// Access tokens made in-process with the dev-idp's own PEM key (`dev-idp --key`),
/// before any timed phase: signing is ~20x dearer than verifying, so no load
/// loop could mint as fast as the server checks.
struct TokenFactory: Sendable {
    let minter: TokenMinter
    let issuer: String
    let scope: String

    init(keyPath: String, issuer: String, scope: String = "credvend/write") throws {
        minter = try TokenMinter.loadOrCreate(keyPath: keyPath)
        self.issuer = issuer
        self.scope = scope
    }

    func token(
        clientId: String,
        ttl: Double = 7200,
        issuedAt: Double = wallSeconds(),
        kid: String? = nil
    ) throws -> String {
        let claims = JWTSigner.accessTokenClaims(
            issuer: issuer,
            clientId: clientId,
            scopes: [scope],
            issuedAt: Date(timeIntervalSince1970: issuedAt),
            ttl: ttl
        )
        guard let kid else { return try minter.mint(claims: claims) }
        let signer = try JWTSigner(key: minter.signer.key, kid: kid)
        return try signer.sign(claims: claims)
    }

    /// `count` tokens, `make(i)` each, minted on `threads` threads.
    static func mint(count: Int, threads: Int = 2, _ make: @escaping @Sendable (Int) throws -> String) -> [String] {
        let out = Mutex<[String?]>(Array(repeating: nil, count: count))
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: max(1, threads)) { _ in
            var local: [(Int, String)] = []
            while true {
                let i = next.add(1, ordering: .relaxed).oldValue
                if i >= count { break }
                local.append((i, (try? make(i)) ?? ""))
            }
            out.withLock { o in for (i, t) in local { o[i] = t } }
        }
        return out.withLock { $0.map { $0 ?? "" } }
    }
}

/// The client ids the run seeds: `lc000001`... for hot and fresh, `cold000001`... for cold.
enum ClientIds {
    static func hot(_ i: Int) -> String { "lc" + pad(i) }
    static func cold(_ i: Int) -> String { "cold" + pad(i) }
    static func pad(_ i: Int) -> String {
        let s = String(i)
        return String(repeating: "0", count: max(0, 6 - s.count)) + s
    }
}

/// A `POST /v1/credentials` request carrying `token` in a JSON body, as clients send it.
func credentialRequest(port: UInt16, token: String) -> [UInt8] {
    let body = "{\"access_token\": \"\(token)\"}"
    let head =
        "POST /v1/credentials HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUser-Agent: credvend-load\r\n"
        + "Accept: application/json\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
    return Array((head + body).utf8)
}
