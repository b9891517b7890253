import Dispatch
import Foundation
import Logging
import Synchronization

/// What one vending decision came to: the response, and who asked, for the
/// access log, metrics and the audit log. Never holds the token itself.
public struct VendOutcome: Sendable {
    public var response: HTTPResponse
    public var clientId: String?
    /// First 12 hex chars of SHA-256 of the token, for correlating log lines.
    public var tokenFingerprint: String?
    /// The token's identity for the audit log (a keyed HMAC), when an audit log is kept.
    public var tokenId: AuditTokenID?
    public var mapping: RoleMapping?
    public var errorCode: String?

    init(_ error: APIError, clientId: String? = nil, fingerprint: String? = nil, tokenId: AuditTokenID? = nil) {
        response = error.response
        self.clientId = clientId
        tokenFingerprint = fingerprint
        self.tokenId = tokenId
        errorCode = error.code
    }

    init(entry: CredentialCache.Entry, fingerprint: String, tokenId: AuditTokenID?) {
        response = HTTPResponse(status: 200, headers: VendingService.successHeaders, body: entry.body)
        clientId = entry.mapping.clientId
        tokenFingerprint = fingerprint
        self.tokenId = tokenId
        mapping = entry.mapping
    }
}

/// Either an answer now (cache hit, or a refusal), or work that blocks on I/O
/// (an STS call, a JWKS refresh) to run off the HTTP threads.
public enum VendResult: Sendable {
    case now(VendOutcome)
    case later(@Sendable () -> VendOutcome)
}

/// The product: token in, credentials out (SPEC 2 `POST /v1/credentials`).
public final class VendingService: Sendable {
    static let successHeaders: HTTPHeaders = ["Content-Type": "application/json", "Cache-Control": "no-store"]

    private let verifier: JWTVerifier
    private let jwks: JWKSCache
    private let roles: RoleStore
    private let cache: CredentialCache
    private let sts: STSClient
    private let source: SourceCredentialsProvider
    private let metrics: ServerMetrics
    private let logger: Logger
    private let tokenIdentifier: AuditTokenIdentifier?

    /// `tokenIdentifier`: when given (an audit log is kept), every outcome carries the
    /// token's `AuditTokenID`.
    public init(verifier: JWTVerifier, jwks: JWKSCache, roles: RoleStore, cache: CredentialCache, sts: STSClient,
                source: SourceCredentialsProvider, metrics: ServerMetrics, logger: Logger,
                tokenIdentifier: AuditTokenIdentifier? = nil) {
        self.verifier = verifier
        self.jwks = jwks
        self.roles = roles
        self.cache = cache
        self.sts = sts
        self.source = source
        self.metrics = metrics
        self.logger = logger
        self.tokenIdentifier = tokenIdentifier
    }

    public func vend(body: [UInt8], authorization: String?, now: Date = Date()) -> VendResult {
        let token: String
        switch TokenExtractor.token(body: body, authorization: authorization) {
        case .success(let t): token = t
        case .failure(let e): return .now(VendOutcome(e))
        }
        let fingerprint = Hex.encode(SHA256.hash(token).prefix(6))
        // Before verification no claim is trusted: the audit identity is the whole token's.
        let unverifiedId = tokenIdentifier?.identify(token: token, verifiedJTI: nil)
        guard let keys = jwks.current?.keys else {
            return .now(VendOutcome(.unavailable("the issuer's signing keys (JWKS) are not loaded yet"), fingerprint: fingerprint,
                                    tokenId: unverifiedId))
        }
        switch verify(token, keys: keys, now: now, fingerprint: fingerprint) {
        case .success(let verified):
            return afterVerification(verified, token: token, fingerprint: fingerprint, now: now)
        case .failure(let error) where error.code == .unknownKid:
            // Maybe the issuer rotated its keys: one refresh per 30 s, off-thread.
            return .later { [self] in
                guard jwks.refreshForUnknownKid(), let fresh = jwks.current?.keys else {
                    return VendOutcome(.invalidToken(error.message), fingerprint: fingerprint, tokenId: unverifiedId)
                }
                switch verify(token, keys: fresh, now: Date(), fingerprint: fingerprint) {
                case .success(let verified):
                    switch afterVerification(verified, token: token, fingerprint: fingerprint, now: Date()) {
                    case .now(let o): return o
                    case .later(let work): return work()
                    }
                case .failure(let e): return VendOutcome(apiError(e), fingerprint: fingerprint, tokenId: unverifiedId)
                }
            }
        case .failure(let error):
            return .now(VendOutcome(apiError(error), fingerprint: fingerprint, tokenId: unverifiedId))
        }
    }

    private func verify(_ token: String, keys: JWKSet, now: Date, fingerprint: String) -> Result<VerifiedToken, JWTError> {
        Result { () throws(JWTError) -> VerifiedToken in try verifier.verify(token: token, keys: keys, now: now) }
    }

    private func apiError(_ e: JWTError) -> APIError {
        e.httpStatus == 403 ? .insufficientScope(e.message) : .invalidToken(e.message)
    }

    private func afterVerification(_ token: VerifiedToken, token raw: String, fingerprint: String, now: Date) -> VendResult {
        let clientId = token.clientId
        let tokenId = tokenIdentifier?.identify(token: raw, verifiedJTI: token.jti)
        let mapping: RoleMapping
        do {
            guard let m = try roles.get(clientId) else {
                return .now(VendOutcome(.accessDenied("client_id \(clientId) has no role mapping; ask an operator to add one"),
                                        clientId: clientId, fingerprint: fingerprint, tokenId: tokenId))
            }
            mapping = m
        } catch {
            logger.error("role store lookup failed", metadata: ["client_id": "\(clientId)", "error": "\(error)"])
            return .now(VendOutcome(.unavailable("the role store cannot be read"), clientId: clientId, fingerprint: fingerprint,
                                    tokenId: tokenId))
        }
        if let hit = cache.fresh(mapping: mapping, now: now) {
            metrics.cacheHits.increment()
            return .now(VendOutcome(entry: hit, fingerprint: fingerprint, tokenId: tokenId))
        }
        metrics.cacheMisses.increment()
        return .later { [self] in
            let result = Mutex<Result<CredentialCache.Entry, APIError>?>(nil)
            let done = DispatchSemaphore(value: 0)
            cache.load(mapping: mapping, now: Date(), fetch: { fetchCredentials(mapping) }) { r in
                result.withLock { $0 = r }
                done.signal()
            }
            done.wait()
            var outcome: VendOutcome
            switch result.withLock({ $0! }) {
            case .success(let entry): outcome = VendOutcome(entry: entry, fingerprint: fingerprint, tokenId: tokenId)
            case .failure(let e): outcome = VendOutcome(e, clientId: clientId, fingerprint: fingerprint, tokenId: tokenId)
            }
            outcome.mapping = mapping
            return outcome
        }
    }

    private func fetchCredentials(_ mapping: RoleMapping) -> Result<AWSCredentials, APIError> {
        guard let creds = source.refreshIfNeeded() else {
            return .failure(.unavailable("credvend has no source AWS credentials to call STS with", retryAfter: 30))
        }
        return sts.assumeRole(mapping: mapping, source: creds)
    }
}
