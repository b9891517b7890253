public import CredVendCore
import CredVendSync

/// An issuer's JWKS endpoint in-process: answers every request with the public keys of
/// the current signers, counts fetches, and can rotate keys or fail.
public final class FakeJWKS: HTTPClient {
    private struct State {
        var signers: [JWTSigner]
        var fetches = 0
        var failing = false
    }

    private let state: Locked<State>

    public init(signers: [JWTSigner] = [TestKeys.rsaSigner, TestKeys.ecSigner]) {
        state = Locked(State(signers: signers))
    }

    public var url: String { "https://issuer.test/.well-known/jwks.json" }

    /// Requests answered so far (failed ones included).
    public var fetches: Int { state.withLock { $0.fetches } }

    /// From the next fetch on, publish these signers' keys instead.
    public func rotate(to signers: [JWTSigner]) { state.withLock { $0.signers = signers } }

    /// While true, every fetch answers 503.
    public func setFailing(_ failing: Bool) { state.withLock { $0.failing = failing } }

    public func send(_ request: HTTPClientRequest) throws(CurlError) -> HTTPClientResponse {
        let (signers, failing) = state.withLock { s in
            s.fetches += 1
            return (s.signers, s.failing)
        }
        if failing { return HTTPResponse(status: 503, body: Array("unavailable".utf8)) }
        let jwks = signers.compactMap { try? $0.publicJWK() }
        return HTTPResponse(
            status: 200,
            headers: ["content-type": "application/json"],
            body: Array(JWKSet.document(jwks).utf8)
        )
    }
}
