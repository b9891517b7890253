public import CredVendCore
import CredVendCrypto
public import CredVendStore
import CredVendSystem
public import Foundation
public import Logging

/// What one vending decision came to: the response, and who asked, for the
/// access log, metrics and the audit log. Never holds the token itself.
public struct VendOutcome: Sendable {
    public var response: HTTPResponse
    public var clientId: String?
    /// First 12 hex chars of SHA-256 of the token, for correlating log lines.
    public var tokenFingerprint: String?
    /// The token's identity for the audit log (a keyed HMAC), when an audit log is kept.
    public var tokenId: AuditTokenID?
    /// The grant vended (or refused by STS): the named role's, with the asked duration and prefix.
    /// Read from the cache entry when the answer is one: a hit holds one reference, not a copy
    /// of the mapping's strings, whose counts every request of the client would bump.
    public var mapping: RoleMapping? {
        get { grant ?? entry?.mapping }
        set { grant = newValue }
    }
    private var grant: RoleMapping?
    private var entry: CredentialCache.Entry?
    /// The role asked for (`default` for the record's own), once the token was verified.
    public var roleName: String?
    public var errorCode: String?

    init(_ error: APIError, clientId: String? = nil, fingerprint: String? = nil, tokenId: AuditTokenID? = nil) {
        response = error.response
        self.clientId = clientId
        tokenFingerprint = fingerprint
        self.tokenId = tokenId
        errorCode = error.code
    }

    func with(_ mapping: RoleMapping) -> VendOutcome {
        var copy = self
        copy.mapping = mapping
        return copy
    }

    init(entry: CredentialCache.Entry, fingerprint: String, tokenId: AuditTokenID?) {
        response = HTTPResponse(status: 200, headers: VendingService.successHeaders, body: entry.body)
        clientId = entry.mapping.clientId
        tokenFingerprint = fingerprint
        self.tokenId = tokenId
        self.entry = entry
    }
}

/// Either an answer now (cache hit, or a refusal), or work that needs I/O (an STS call
/// on the STS pool, a JWKS refresh) and answers when it is done.
public enum VendResult: Sendable {
    case now(VendOutcome)
    case later(VendLater)
}

/// The product: token in, credentials out (docs/reference.md#post-v1credentials).
public final class VendingService: Sendable {
    static let successHeaders: HTTPHeaders = ["Content-Type": "application/json", "Cache-Control": "no-store"]

    private let verifier: JWTVerifier
    private let jwks: JWKSCache
    private let roles: RoleStore
    private let cache: CredentialCache
    private let refusals: RefusalMemory
    private let sts: STSClient
    /// Where STS calls wait and run (bounded threads, queue and in-flight limit).
    private let pool: STSCallPool
    private let source: SourceCredentialsProvider
    private let metrics: ServerMetrics
    private let logger: Logger
    private let tokenIdentifier: AuditTokenIdentifier?
    private let verifiedTokens: VerifiedTokenCache
    private let keysMemo = ThreadLocal<KeysMemo>()
    /// Each thread's last token header and its checks (one issuer key signs them all).
    private let headerMemos = ThreadLocal<HeaderMemoBox>()
    private let clock: any WallClock
    /// `--require-bound-tokens`: tokens without `cnf.x5t#S256` are refused.
    private let requireBoundTokens: Bool
    /// Why the role store must not be served now (a roles table copy too old), or nil.
    private let rolesRefusal: (@Sendable () -> String?)?

    /// `tokenIdentifier`: when given (an audit log is kept), every outcome carries the
    /// token's `AuditTokenID`.
    public init(
        verifier: JWTVerifier,
        jwks: JWKSCache,
        roles: RoleStore,
        cache: CredentialCache,
        sts: STSClient,
        pool: STSCallPool? = nil,
        source: SourceCredentialsProvider,
        metrics: ServerMetrics,
        logger: Logger,
        tokenIdentifier: AuditTokenIdentifier? = nil,
        verifiedTokens: VerifiedTokenCache = VerifiedTokenCache(),
        refusals: RefusalMemory = RefusalMemory(),
        requireBoundTokens: Bool = false,
        clock: any WallClock = SystemClock(),
        rolesRefusal: (@Sendable () -> String?)? = nil
    ) {
        self.clock = clock
        self.requireBoundTokens = requireBoundTokens
        self.rolesRefusal = rolesRefusal
        self.refusals = refusals
        self.tokenIdentifier = tokenIdentifier
        self.verifiedTokens = verifiedTokens
        self.verifier = verifier
        self.jwks = jwks
        self.roles = roles
        self.cache = cache
        self.sts = sts
        self.pool = pool ?? STSCallPool(logger: logger)
        self.source = source
        self.metrics = metrics
        self.logger = logger
    }

    /// `now`: the injected clock's time unless given. `isTLS` and `clientCertificate`:
    /// the connection the token came over, which a certificate-bound token must match.
    public func vend(
        body: [UInt8],
        authorization: String?,
        isTLS: Bool = false,
        clientCertificate: ClientCertificate? = nil,
        now: Date? = nil
    ) -> VendResult {
        let peer = Peer(isTLS: isTLS, certificate: clientCertificate)
        let token: ArraySlice<UInt8>
        let ask: RoleRequest
        switch TokenExtractor.read(body: body, authorization: authorization).flatMap({ read in
            RoleRequest.parse(fields: read.fields).map { (read.token, $0) }
        }) {
        case .success(let (t, r)): (token, ask) = (t, r)
        case .failure(let e): return .now(VendOutcome(e))
        }
        let now = now ?? clock.now()
        let key: VerifiedTokenCache.Key = SHA256.digest(token.span)
        let fingerprint = Hex.fingerprint(key)
        // Before verification no claim is trusted: the audit identity is the whole token's.
        let unverifiedId = tokenIdentifier.map {
            $0.identify(token: String(decoding: token, as: UTF8.self), verifiedJTI: nil)
        }
        guard let snapshot = currentKeys() else {
            return .now(
                VendOutcome(
                    .unavailable("the issuer's signing keys (JWKS) are not loaded yet"),
                    fingerprint: fingerprint,
                    tokenId: unverifiedId
                )
            )
        }
        let version = Double(snapshot.generation)
        let nowSeconds = now.timeIntervalSince1970
        let result: Result<VerifiedToken, JWTError>
        let seen = verifiedTokens.lookup(key, keysVersion: version, now: nowSeconds)
        switch seen?.outcome {
        case .accepted(let verified)?:
            // A token seen before skips checks 1-5, but its expiry is checked every time.
            guard nowSeconds < verified.exp.timeIntervalSince1970 + verifier.config.clockSkew else {
                return .now(
                    VendOutcome(.invalidToken(Self.expired.message), fingerprint: fingerprint, tokenId: unverifiedId)
                )
            }
            result = .success(verified)
        case .refused(let error)?:
            result = .failure(error)
        case nil:
            result = verify(token, keys: snapshot.keys, now: now)
            switch result {
            case .success(let verified):
                verifiedTokens.accept(
                    key,
                    verified,
                    skew: verifier.config.clockSkew,
                    keysVersion: version,
                    now: nowSeconds
                )
            case .failure(let error):
                verifiedTokens.refuse(key, error, keysVersion: version, now: nowSeconds)
            }
        }
        if case .failure(let error) = result, result.isUnknownKid {
            return unknownKid(
                Array(token),
                error,
                peer: peer,
                ask: ask,
                seen: snapshot,
                fingerprint: fingerprint,
                tokenId: unverifiedId,
                now: now
            )
        }
        return settle(
            result,
            token: token,
            peer: peer,
            ask: ask,
            fingerprint: fingerprint,
            tokenId: unverifiedId,
            seen: seen,
            now: now
        )
    }

    /// A verified token goes on to its role; a refused one is answered with its error.
    /// `seen`: the token's verified-token entry when it was cached already.
    private func settle(
        _ result: Result<VerifiedToken, JWTError>,
        token: ArraySlice<UInt8>,
        peer: Peer,
        ask: RoleRequest,
        fingerprint: String,
        tokenId unverifiedId: AuditTokenID?,
        seen: VerifiedTokenCache.Hit? = nil,
        now: Date
    ) -> VendResult {
        switch result {
        case .success(let verified):
            return afterVerification(
                verified,
                token: token,
                peer: peer,
                ask: ask,
                fingerprint: fingerprint,
                seen: seen,
                now: now
            )
        case .failure(let error):
            return .now(VendOutcome(apiError(error), fingerprint: fingerprint, tokenId: unverifiedId))
        }
    }

    private static let expired = JWTError(.expired, "token expired; get a new access token from the issuer")

    /// Maybe the issuer rotated its keys. If the keys changed since this thread's
    /// snapshot, check again now; else refresh (off-thread) when the JWKS cache's 30 s
    /// limiter allows, and refuse at once otherwise, so a storm of forged kids costs
    /// no thread hop and no fetch.
    private func unknownKid(
        _ token: [UInt8],
        _ error: JWTError,
        peer: Peer,
        ask: RoleRequest,
        seen: JWKSCache.Snapshot,
        fingerprint: String,
        tokenId unverifiedId: AuditTokenID?,
        now: Date
    ) -> VendResult {
        if let latest = jwks.current, latest.generation != seen.generation {
            keysMemo.value = KeysMemo(latest)
            let retried = verify(token, keys: latest.keys, now: now)
            // Settled by the newer set, unless the kid is still unknown there: then a refresh.
            if !retried.isUnknownKid {
                return settle(
                    retried,
                    token: token[...],
                    peer: peer,
                    ask: ask,
                    fingerprint: fingerprint,
                    tokenId: unverifiedId,
                    now: now
                )
            }
        }
        guard jwks.claimUnknownKidRefresh() else {
            return .now(VendOutcome(.invalidToken(error.message), fingerprint: fingerprint, tokenId: unverifiedId))
        }
        return .later(
            .onOwnThread("credvend-jwks") { [self] in
                jwks.refresh(reason: "unknown kid")
                guard let fresh = jwks.current?.keys else {
                    return .now(
                        VendOutcome(.invalidToken(error.message), fingerprint: fingerprint, tokenId: unverifiedId)
                    )
                }
                let now = clock.now()
                return settle(
                    verify(token, keys: fresh, now: now),
                    token: token[...],
                    peer: peer,
                    ask: ask,
                    fingerprint: fingerprint,
                    tokenId: unverifiedId,
                    now: now
                )
            }
        )
    }

    /// This thread's copy of the JWKS snapshot while its generation is the published one
    /// (one atomic load), so request threads do not meet on the JWKS cache's lock, and a
    /// refresh that drops a key is honoured by the very next request.
    private func currentKeys() -> JWKSCache.Snapshot? {
        if let memo = keysMemo.value, memo.snapshot.generation == jwks.currentGeneration { return memo.snapshot }
        guard let latest = jwks.current else { return nil }
        keysMemo.value = KeysMemo(latest)
        return latest
    }

    private func verify(_ token: ArraySlice<UInt8>, keys: JWKSet, now: Date) -> Result<VerifiedToken, JWTError> {
        let box = headerMemos.value(orMake: HeaderMemoBox.init)
        return Result { () throws(JWTError) -> VerifiedToken in
            try verifier.verify(tokenSlice: token, keys: keys, now: now, headerMemo: &box.memo)
        }
    }

    private func verify(_ token: [UInt8], keys: JWKSet, now: Date) -> Result<VerifiedToken, JWTError> {
        verify(token[...], keys: keys, now: now)
    }

    private func apiError(_ e: JWTError) -> APIError {
        e.httpStatus == 403 ? .insufficientScope(e.message) : .invalidToken(e.message)
    }

    private func afterVerification(
        _ token: VerifiedToken,
        token raw: ArraySlice<UInt8>,
        peer: Peer,
        ask: RoleRequest,
        fingerprint: String,
        seen: VerifiedTokenCache.Hit?,
        now: Date
    ) -> VendResult {
        var result = vendVerified(
            token,
            token: raw,
            peer: peer,
            ask: ask,
            fingerprint: fingerprint,
            seen: seen,
            now: now
        )
        if case .now(var outcome) = result, outcome.clientId != nil {
            outcome.roleName = ask.roleName
            result = .now(outcome)
        } else if case .later(let work) = result {
            let roleName = ask.roleName
            result = .later(
                work.map { outcome in
                    var outcome = outcome
                    outcome.roleName = roleName
                    return outcome
                }
            )
        }
        return result
    }

    private func vendVerified(
        _ token: VerifiedToken,
        token raw: ArraySlice<UInt8>,
        peer: Peer,
        ask: RoleRequest,
        fingerprint: String,
        seen: VerifiedTokenCache.Hit?,
        now: Date
    ) -> VendResult {
        let clientId = token.clientId
        let tokenId = tokenIdentifier.map {
            $0.identify(token: String(decoding: raw, as: UTF8.self), verifiedJTI: token.jti)
        }
        if let refusal = CertificateBinding.refusal(
            thumbprint: token.certificateThumbprint,
            isTLS: peer.isTLS,
            clientCertificate: peer.certificate,
            requireBound: requireBoundTokens
        ) {
            return .now(VendOutcome(refusal, clientId: clientId, fingerprint: fingerprint, tokenId: tokenId))
        }
        if let why = rolesRefusal?() {
            return .now(VendOutcome(.unavailable(why), clientId: clientId, fingerprint: fingerprint, tokenId: tokenId))
        }
        // Taken before the lookup: a write after it moves the stamp, so nothing kept under it goes
        // stale. Only for a token seen before: a new token has no entry to keep an answer in.
        let stamp = seen == nil ? nil : roles.stamp()
        if let stamp, let entry = seen?.keptAnswer(for: ask, stamp: stamp, now: now) {
            metrics.cacheHits.increment()
            return .now(VendOutcome(entry: entry, fingerprint: fingerprint, tokenId: tokenId))
        }
        let mapping: RoleMapping
        do {
            guard let m = try roles.get(clientId) else {
                return .now(
                    VendOutcome(
                        .accessDenied("client_id \(clientId) has no role mapping; ask an operator to add one"),
                        clientId: clientId,
                        fingerprint: fingerprint,
                        tokenId: tokenId
                    )
                )
            }
            switch ask.grant(from: m) {
            case .success(let grant): mapping = grant
            case .failure(let e):
                return .now(VendOutcome(e, clientId: clientId, fingerprint: fingerprint, tokenId: tokenId))
            }
        } catch {
            logger.error("role store lookup failed", metadata: ["client_id": "\(clientId)", "error": "\(error)"])
            return .now(
                VendOutcome(
                    .unavailable("the role store cannot be read"),
                    clientId: clientId,
                    fingerprint: fingerprint,
                    tokenId: tokenId
                )
            )
        }
        let key = ask.key
        if let hit = cache.fresh(mapping: mapping, key: key, now: now) {
            metrics.cacheHits.increment()
            if let stamp, let seen { seen.remember(RepeatedAnswer(stamp: stamp, ask: ask, entry: hit)) }
            return .now(VendOutcome(entry: hit, fingerprint: fingerprint, tokenId: tokenId))
        }
        if let refused = refusals.remembered(mapping, key: key, now: now) {
            metrics.refusalsRemembered.increment()
            return .now(
                VendOutcome(
                    Self.refusedError(refused, now: now),
                    clientId: clientId,
                    fingerprint: fingerprint,
                    tokenId: tokenId
                ).with(mapping)
            )
        }
        metrics.cacheMisses.increment()
        // Only a miss waits for the pool: cache hits above never touch it, however slow STS is.
        return .later(
            VendLater { [self] deliver in
                let answer: @Sendable (Result<CredentialCache.Entry, APIError>) -> Void = { result in
                    var outcome: VendOutcome
                    switch result {
                    case .success(let entry):
                        outcome = VendOutcome(entry: entry, fingerprint: fingerprint, tokenId: tokenId)
                    case .failure(let e):
                        outcome = VendOutcome(e, clientId: clientId, fingerprint: fingerprint, tokenId: tokenId)
                    }
                    outcome.mapping = mapping
                    deliver(outcome)
                }
                pool.submit(
                    { [self] permit in
                        var fetching = false
                        cache.load(
                            mapping: mapping,
                            key: key,
                            now: clock.now(),
                            startFetch: { done in
                                fetching = true
                                fetchCredentials(mapping, key: key, permit: permit, done)
                            },
                            completion: answer
                        )
                        // A hit, or another request's call under way: no call of this one's.
                        if !fetching { permit.done() }
                    },
                    refused: { answer(.failure($0)) }
                )
            }
        )
    }

    /// Starts the STS call for `mapping` in `permit`'s slot and hands `done` its answer; every
    /// path gives the slot back.
    private func fetchCredentials(
        _ mapping: RoleMapping,
        key: GrantKey,
        permit: STSPermit,
        _ done: @escaping @Sendable (Result<AWSCredentials, APIError>) -> Void
    ) {
        let now = clock.now()
        // Refused while this request waited for a slot: no second call.
        if let refused = refusals.remembered(mapping, key: key, now: now) {
            metrics.refusalsRemembered.increment()
            permit.done()
            return done(.failure(Self.refusedError(refused, now: now)))
        }
        withSourceCredentials(now: now) { [self] creds in
            guard let creds else {
                permit.done()
                return done(
                    .failure(.unavailable("credvend has no source AWS credentials to call STS with", retryAfter: 30))
                )
            }
            permit.paced(
                { [sts] answer in
                    sts.startAssumeRole(mapping: mapping, source: creds, retryThrottling: false, completion: answer)
                },
                completion: { [self] outcome in
                    switch outcome {
                    case .answered(let answered): done(credentials(from: answered, mapping, key: key))
                    case .busy(let error): done(.failure(error))
                    }
                }
            )
        }
    }

    /// The source credentials, on this thread when they are usable now; otherwise read again
    /// on a thread of their own (files, the container endpoint), which this one does not wait
    /// for. While a read is under way, none: so a server without credentials answers each
    /// cold request at once rather than starting a thread for it.
    private func withSourceCredentials(now: Date, _ body: @escaping @Sendable (AWSCredentials?) -> Void) {
        if let creds = source.current(now: now) { return body(creds) }
        if source.isRefreshing { return body(nil) }
        startThread(named: "credvend-source-credentials") { [source] in body(source.refreshIfNeeded(now: now)) }
    }

    /// What an answered AssumeRole comes to: credentials, or the error for the client, with a
    /// refusal remembered so the same mapping is not sent again at once.
    private func credentials(
        from answered: Result<AWSCredentials, STSError>,
        _ mapping: RoleMapping,
        key: GrantKey
    ) -> Result<AWSCredentials, APIError> {
        switch answered {
        case .success(let credentials):
            refusals.forget(clientId: mapping.clientId, key: key)
            return .success(credentials)
        case .failure(let error) where error.isRefusal:
            let at = clock.now()
            let refused = refusals.record(mapping, key: key, error, now: at)
            logger.warning(
                "STS refused the role mapping; remembered",
                metadata: [
                    "client_id": "\(mapping.clientId)", "role": "\(key.role)", "role_arn": "\(mapping.roleArn)",
                    "code": "\(error.code)",
                    "refusals": "\(refused.count)", "retry_after": "\(refused.retryAfter(now: at))s",
                ]
            )
            return .failure(Self.refusedError(refused, now: at))
        case .failure(let error):
            return .failure(STSClient.upstream(mapping, error))
        }
    }

    /// The 502 for a refusal: STS's code and message, and when credvend asks STS again
    /// for this client and mapping (`Retry-After`).
    static func refusedError(_ refusal: RefusalMemory.Refusal, now: Date) -> APIError {
        let wait = refusal.retryAfter(now: now)
        let base = STSClient.upstream(refusal.mapping, refusal.error)
        return APIError(
            status: base.status,
            code: base.code,
            message: base.message + "; credvend asks STS again for this client in \(wait) s, "
                + "or at once when its role mapping changes",
            headers: [("Retry-After", String(wait))]
        )
    }
}

/// The connection a token came over, as a certificate-bound token is checked against it.
private struct Peer: Sendable {
    var isTLS: Bool
    var certificate: ClientCertificate?
}

/// One thread's copy of the JWKS snapshot.
private final class KeysMemo {
    let snapshot: JWKSCache.Snapshot

    init(_ snapshot: JWKSCache.Snapshot) {
        self.snapshot = snapshot
    }
}

/// One thread's `JWTHeaderMemo`.
private final class HeaderMemoBox {
    var memo: JWTHeaderMemo?
}

extension Result<VerifiedToken, JWTError> {
    /// Refused for a `kid` the key set does not have: the one refusal a key refresh can mend.
    fileprivate var isUnknownKid: Bool {
        if case .failure(let error) = self { return error.code == .unknownKid }
        return false
    }
}
