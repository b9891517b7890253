public import CredVendCore
import CredVendHTTP
public import Foundation
public import Logging

/// Gets an IdP token and exchanges it for AWS credentials (the Cognito and Auth0
/// flows), reusing cached ones while `ClientCachePolicy` allows. Blocking.
///
/// Cognito: client_credentials at `<domain>/oauth2/token`, then the token to
/// the vending API. Auth0: client_credentials at `<domain>/oauth/token`, then
/// STS AssumeRoleWithWebIdentity. The network and STS come in as closures so
/// the whole flow is tested without sockets.
public final class ClientCredentialSource: Sendable {
    public typealias Transport = @Sendable (HTTPClientRequest) throws(CurlError) -> HTTPClientResponse
    public typealias WebIdentity =
        @Sendable (_ settings: ClientSettings, _ token: String) -> Result<AssumedRole, STSError>

    public let settings: ClientSettings
    public let policy: ClientCachePolicy
    /// What the vending API is asked for (Cognito); the agent makes one source per selection.
    public let selection: VendingSelection
    private let cache: ClientCacheStore?
    private let transport: Transport
    private let webIdentity: WebIdentity
    private let clock: @Sendable () -> Date
    private let retry: RetryPolicy
    private let sleep: @Sendable (Duration) -> Void
    /// The jitter of the backoff and of a `Retry-After` wait, in [0, 1).
    private let unitRandom: @Sendable () -> Double
    private let logger: Logger

    public init(
        settings: ClientSettings,
        policy: ClientCachePolicy = ClientCachePolicy(),
        selection: VendingSelection = VendingSelection(),
        cache: ClientCacheStore?,
        transport: @escaping Transport,
        webIdentity: @escaping WebIdentity,
        clock: @escaping @Sendable () -> Date = { Date() },
        retry: RetryPolicy = .default,
        sleep: @escaping @Sendable (Duration) -> Void = ClientCredentialSource.threadSleep,
        unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        logger: Logger
    ) {
        self.unitRandom = unitRandom
        self.settings = settings
        self.policy = policy
        self.selection = selection
        self.cache = cache
        self.transport = transport
        self.webIdentity = webIdentity
        self.clock = clock
        self.retry = retry
        self.sleep = sleep
        self.logger = logger
    }

    /// The production wiring: libcurl for HTTP, `STSClient` for Auth0's STS call.
    public static func live(
        settings: ClientSettings,
        policy: ClientCachePolicy,
        selection: VendingSelection = VendingSelection(),
        cache: ClientCacheStore?,
        logger: Logger
    ) throws(ClientError) -> ClientCredentialSource {
        let client = CurlHTTPClient(maxIdleHandles: 1)
        var webIdentity: WebIdentity = { _, _ in .failure(STSError.network("STS is not used with IDP_TYPE=cognito")) }
        if settings.idpType == .auth0 {
            let sts: STSClient
            do {
                sts = try STSClient(
                    endpoint: settings.stsEndpoint,
                    region: settings.region,
                    client: client,
                    metrics: nil,
                    logger: logger
                )
            } catch {
                throw ClientError(.exchange, "the STS endpoint \(settings.stsEndpoint) is not usable: \(error.message)")
            }
            webIdentity = { s, token in
                sts.assumeRoleWithWebIdentity(
                    roleArn: s.roleArn ?? "",
                    sessionName: s.roleSessionName,
                    token: token,
                    durationSeconds: s.durationSeconds
                )
            }
        }
        return ClientCredentialSource(
            settings: settings,
            policy: policy,
            selection: selection,
            cache: cache,
            transport: { request throws(CurlError) in try client.send(request) },
            webIdentity: webIdentity,
            logger: logger
        )
    }

    public static func threadSleep(_ d: Duration) {
        Thread.sleep(forTimeInterval: d.inSeconds)
    }

    // MARK: - Token

    /// A token from the cache while fresh, else from the IdP (then cached).
    public func token(forceRefresh: Bool = false) throws(ClientError) -> CachedToken {
        try tokenAndOrigin(forceRefresh: forceRefresh).token
    }

    private func tokenAndOrigin(forceRefresh: Bool) throws(ClientError) -> (token: CachedToken, cached: Bool) {
        if !forceRefresh, let cached = cache?.loadToken(settings), let expiry = cached.expiresAt,
            policy.isFresh(obtained: cached.obtainedAt, expiration: expiry, now: clock())
        {
            logger.debug("token from cache", metadata: ["token_sha256": "\(cached.fingerprint)"])
            return (cached, true)
        }
        let request = OAuthTokenExchange.request(settings)
        let token = try send(request, peer: "the token endpoint \(settings.tokenURL)", secrets: [settings.clientSecret])
        {
            OAuthTokenExchange.parse($0, settings: settings, obtainedAt: clock())
        }
        logger.info(
            "token obtained",
            metadata: [
                "token_url": "\(settings.tokenURL)", "client_id": "\(settings.clientId)",
                "token_sha256": "\(token.fingerprint)",
                "expires": "\(token.expiresAt.map(ISO8601.string) ?? "unknown")",
            ]
        )
        cache?.store(token, for: settings)
        return (token, false)
    }

    // MARK: - Credentials

    /// Credentials from the cache while fresh, else through the IdP and the
    /// exchange (then cached). With `fallbackToStale`, a failed refresh hands
    /// out the cached credentials while they still have a minute left.
    public func credentials(
        forceRefresh: Bool = false,
        fallbackToStale: Bool = false
    ) throws(ClientError) -> CachedCredentials {
        let cached = cache?.loadCredentials(settings)
        if !forceRefresh, let cached, let expiry = cached.credentials.expiration,
            policy.isFresh(obtained: cached.obtainedAt, expiration: expiry, now: clock())
        {
            logger.debug("credentials from cache", metadata: ["access_key_id": "\(cached.credentials.accessKeyId)"])
            return cached
        }
        do throws(ClientError) {
            let fresh = try fetchCredentials()
            cache?.store(fresh, for: settings)
            return fresh
        } catch {
            if fallbackToStale, let cached, let expiry = cached.credentials.expiration,
                policy.isUsableFallback(expiration: expiry, now: clock())
            {
                logger.warning(
                    "refresh failed; handing out the cached credentials until they expire",
                    metadata: [
                        "error": "\(error.message)", "expiration": "\(ISO8601.string(expiry))",
                    ]
                )
                return cached
            }
            throw error
        }
    }

    private func fetchCredentials() throws(ClientError) -> CachedCredentials {
        let (token, fromCache) = try tokenAndOrigin(forceRefresh: false)
        do throws(ClientError) {
            return try exchange(token)
        } catch let error where error.kind == .tokenRejected && fromCache {
            // A cached token the other side no longer takes (keys rotated, revoked): one fresh try.
            logger.info("the cached token was refused; fetching a new one", metadata: ["error": "\(error.message)"])
            cache?.removeToken(settings)
            return try exchange(try tokenAndOrigin(forceRefresh: true).token)
        }
    }

    private func exchange(_ token: CachedToken) throws(ClientError) -> CachedCredentials {
        let credentials: AWSCredentials
        switch settings.idpType {
        case .cognito:
            let url = settings.credentialAPIURL ?? ""
            let secrets = [token.accessToken, settings.clientSecret]
            credentials = try send(
                VendingExchange.request(url: url, token: token.accessToken, tls: settings.tls, selection: selection),
                peer: "the credential API \(url)",
                secrets: secrets
            ) {
                VendingExchange.parse($0, url: url, redacting: secrets)
            }
        case .auth0:
            switch webIdentity(settings, token.accessToken) {
            case .success(let role):
                credentials = role.credentials
            case .failure(let e):
                let kind: ClientError.Kind =
                    ["InvalidIdentityToken", "ExpiredTokenException", "ExpiredToken"].contains(e.code)
                    ? .tokenRejected : (e.isRetryable ? .upstream : .exchange)
                throw ClientError(
                    kind,
                    "STS AssumeRoleWithWebIdentity for \(settings.roleArn ?? "") at \(settings.stsEndpoint) failed: \(e)",
                    redacting: [token.accessToken]
                )
            }
        }
        logger.debug(
            "credentials obtained",
            metadata: [
                "access_key_id": "\(credentials.accessKeyId)",
                "expiration": "\(credentials.expiration.map(ISO8601.string) ?? "none")",
            ]
        )
        // Obtained when the answer arrived, not when the request left: the server's cache got
        // them in between, and a refresh planned from the earlier time would come too soon.
        return CachedCredentials(credentials: credentials, obtainedAt: clock())
    }

    // MARK: - HTTP with retries

    /// Sends `request` and parses the answer, retrying 5xx, 429 and network
    /// failures with jittered backoff (`retry`, 3 attempts by default), waiting at
    /// least what a 429 or 503 answer's `Retry-After` asks, jittered (`RetryAfter.wait`);
    /// the last failure carries that `Retry-After` for a daemon's next turn.
    private func send<T>(
        _ request: HTTPClientRequest,
        peer: String,
        secrets: [String],
        parse: (HTTPClientResponse) -> Result<T, ClientError>
    ) throws(ClientError) -> T {
        var attempt = 1
        while true {
            let failure: ClientError
            var asked: Int?
            do {
                let response = try transport(request)
                switch parse(response) {
                case .success(let value): return value
                case .failure(let e): failure = e
                }
                asked = RetryAfter.seconds(response)
            } catch {
                let kind: ClientError.Kind =
                    error.kind == .tls || error.kind == .responseTooLarge ? .transport : .network
                failure = ClientError(kind, "cannot reach \(peer): \(error.message)", redacting: secrets)
            }
            guard failure.isRetryable, let backoff = retry.delay(afterAttempt: attempt, unitRandom: unitRandom) else {
                var final =
                    attempt > 1 ? ClientError(failure.kind, failure.message + " (after \(attempt) attempts)") : failure
                final.retryAfter = asked
                throw final
            }
            logger.info(
                "request failed; retrying",
                metadata: [
                    "peer": "\(peer)", "attempt": "\(attempt)",
                    "error": "\(failure.message)",
                ]
            )
            sleep(RetryAfter.wait(asked: asked, backoff: backoff, unitRandom: unitRandom()))
            attempt += 1
        }
    }
}
