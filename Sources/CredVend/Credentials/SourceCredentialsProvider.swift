public import CredVendCore
import CredVendHTTP
import CredVendSync
public import Foundation
public import Logging

/// The credentials that sign credvend's own STS calls, from the standard AWS
/// chain (docs/reference.md#source-credentials): environment, container endpoint, shared credentials file.
/// Temporary ones are fetched again before they expire.
public final class SourceCredentialsProvider: Sendable {
    /// Where the credentials came from, for logs and /admin/v1/info.
    public enum Origin: String, Sendable {
        case environment, container
        case sharedFile = "shared-credentials-file"
        case fixed
    }

    /// Where `resolve` looks: the standard chain, or credentials handed over once (tests,
    /// embedders), so that nothing reads the process environment or the network.
    private enum Chain: Sendable {
        case standard(environment: [String: String])
        case fixed(AWSCredentials?)
    }

    private struct State {
        var credentials: AWSCredentials?
        var origin: Origin?
        var fetchedAt: Date = .distantPast
    }

    private let chain: Chain
    private let client: any HTTPClient
    private let logger: Logger
    private let state = Locked(State())
    private let refreshing = Locked(false)
    /// Temporary credentials are replaced when less than this is left.
    public static let minimumRemaining: TimeInterval = 600
    /// Files and endpoints are re-read at least this often, so rotation is seen.
    public static let rereadInterval: TimeInterval = 300

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        client: any HTTPClient,
        logger: Logger
    ) {
        self.chain = .standard(environment: environment)
        self.client = client
        self.logger = logger
    }

    /// Always these credentials (nil: never any), re-read from nowhere.
    public init(fixed credentials: AWSCredentials?, logger: Logger) {
        self.chain = .fixed(credentials)
        self.client = NoHTTPClient()
        self.logger = logger
    }

    /// Usable credentials now, or nil: never blocks.
    public func current(now: Date = Date()) -> AWSCredentials? {
        state.withLock { s in
            guard let c = s.credentials, c.remaining(at: now) > 60 else { return nil }
            return c
        }
    }

    /// Whether a `refreshIfNeeded` is reading the chain now.
    public var isRefreshing: Bool { refreshing.withLock { $0 } }

    public var expiration: Date? { state.withLock { $0.credentials?.expiration } }
    public var origin: Origin? { state.withLock { $0.origin } }

    func needsRefresh(now: Date) -> Bool {
        state.withLock { s in
            guard let c = s.credentials else { return true }
            return c.remaining(at: now) < Self.minimumRemaining
                || now.timeIntervalSince(s.fetchedAt) > Self.rereadInterval
        }
    }

    /// Re-reads the chain if the current credentials are missing or due; blocking
    /// (call from a background thread). One refresh at a time.
    @discardableResult
    public func refreshIfNeeded(now: Date = Date()) -> AWSCredentials? {
        guard needsRefresh(now: now) else { return current(now: now) }
        let mine = refreshing.withLock { busy -> Bool in
            if busy { return false }
            busy = true
            return true
        }
        guard mine else { return current(now: now) }
        defer { refreshing.withLock { $0 = false } }
        do {
            let (creds, origin) = try resolve()
            let changed = state.withLock { s -> Bool in
                let changed = s.credentials?.accessKeyId != creds.accessKeyId || s.origin != origin
                s = State(credentials: creds, origin: origin, fetchedAt: now)
                return changed
            }
            if changed {
                logger.info(
                    "source credentials loaded",
                    metadata: [
                        "source": "\(origin.rawValue)", "access_key_id": "\(creds.accessKeyId)",
                        "expiration": "\(creds.expiration.map(ISO8601.string) ?? "none")",
                    ]
                )
            }
        } catch {
            logger.warning("source credentials unavailable: \(error.message)")
        }
        return current(now: now)
    }

    private func resolve() throws(ConfigurationError) -> (AWSCredentials, Origin) {
        let environment: [String: String]
        switch chain {
        case .fixed(let credentials?): return (credentials, .fixed)
        case .fixed(nil): throw ConfigurationError("no source credentials were given")
        case .standard(let e): environment = e
        }
        let env = { (k: String) -> String? in environment[k].flatMap { $0.isEmpty ? nil : $0 } }
        if let id = env("AWS_ACCESS_KEY_ID") {
            guard let secret = env("AWS_SECRET_ACCESS_KEY") else {
                throw ConfigurationError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
            }
            return (
                AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: env("AWS_SESSION_TOKEN")),
                .environment
            )
        }
        if let uri = env("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            return (try fetchContainer(uri: uri, env: env), .container)
        }
        let path =
            env("AWS_SHARED_CREDENTIALS_FILE")
            ?? ((env("HOME") ?? NSHomeDirectory()) + "/.aws/credentials")
        let profile = env("AWS_PROFILE") ?? "default"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError(
                "no source credentials: no AWS_ACCESS_KEY_ID, no AWS_CONTAINER_CREDENTIALS_FULL_URI, and \(path) is not readable"
            )
        }
        guard let creds = SharedCredentialsFile.parse(text, profile: profile) else {
            throw ConfigurationError(
                "profile [\(profile)] in \(path) has no aws_access_key_id and aws_secret_access_key"
            )
        }
        return (creds, .sharedFile)
    }

    private func fetchContainer(uri: String, env: (String) -> String?) throws(ConfigurationError) -> AWSCredentials {
        try URLCheck.check(uri, flag: "AWS_CONTAINER_CREDENTIALS_FULL_URI", allowInsecure: false)
        var token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN")
        if token == nil, let file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
            guard let t = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigurationError("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(file) is not readable")
            }
            token = t.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var headers: [(String, String)] = [("Accept", "application/json")]
        if let token { headers.append(("Authorization", token)) }
        let response: HTTPClientResponse
        do {
            response = try client.send(
                HTTPClientRequest(
                    method: "GET",
                    url: uri,
                    headers: headers,
                    connectTimeout: .seconds(2),
                    timeout: .seconds(5)
                )
            )
        } catch {
            throw ConfigurationError("container credentials endpoint \(uri) unreachable: \(error)")
        }
        guard response.status == 200 else {
            throw ConfigurationError("container credentials endpoint \(uri) answered \(response.status)")
        }
        guard let creds = ContainerCredentials.parse(response.body) else {
            throw ConfigurationError("container credentials endpoint \(uri) returned no usable credentials")
        }
        return creds
    }
}

/// The client of fixed credentials: they never fetch anything.
private struct NoHTTPClient: HTTPClient {
    func send(_ request: HTTPClientRequest) throws(CurlError) -> HTTPClientResponse {
        throw CurlError(kind: .other, code: 0, message: "fixed source credentials make no HTTP requests")
    }
}
