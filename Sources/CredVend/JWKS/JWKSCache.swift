public import CredVendCore
import CredVendHTTP
import CredVendSync
public import Foundation
public import Logging
import Synchronization

/// The issuer's signing keys, fetched in the background and swapped in whole:
/// request threads only read the current snapshot. Keys are parsed once per
/// fetch. An unknown `kid` may trigger one refresh per 30 s, never more (this is the
/// only limiter for that rule), and a failed fetch keeps the old keys.
public final class JWKSCache: Sendable {
    public enum Source: Sendable {
        case url(String)
        case file(String)
    }

    /// One fetched key set and when it came.
    public struct Snapshot: Sendable {
        public let keys: JWKSet
        public let fetchedAt: Date
        /// Counts fetches: tells snapshots apart even when a test's clock stands still.
        public let generation: Int
    }

    public struct Status: Sendable {
        public var lastAttempt: Date?
        public var lastOutcome: String?
    }

    public static let refreshInterval: TimeInterval = 3600
    public static let unknownKidInterval: TimeInterval = 30

    private let source: Source
    private let client: any HTTPClient
    private let logger: Logger
    private let metrics: ServerMetrics?
    private let snapshot = Locked<Snapshot?>(nil)
    /// The current snapshot's generation (0: none yet), readable without the lock.
    private let publishedGeneration = Atomic<Int>(0)
    private let status = Locked(Status())
    private let clock: any WallClock
    /// When (ms since 1970) an unknown kid last claimed a refresh. Atomic, so that a
    /// storm of forged kids is turned away without meeting on a lock.
    private let lastKidRefresh = Atomic<Int64>(Int64.min / 2)
    private let flight = SingleFlight<Int, Bool, Never>()

    public init(
        source: Source,
        client: any HTTPClient,
        logger: Logger,
        metrics: ServerMetrics?,
        clock: any WallClock = SystemClock()
    ) {
        self.source = source
        self.client = client
        self.logger = logger
        self.metrics = metrics
        self.clock = clock
    }

    /// The generation of `current`, from one atomic load: request threads compare it with
    /// their own copy's, so they take the lock only when the keys changed.
    public var currentGeneration: Int { publishedGeneration.load(ordering: .acquiring) }

    public var current: Snapshot? { snapshot.withLock { $0 } }
    public var currentStatus: Status { status.withLock { $0 } }

    /// Fetches now (blocking), unless a fetch is already running, in which case
    /// it waits for that one. Returns whether keys were loaded.
    @discardableResult
    public func refresh(reason: String) -> Bool {
        switch flight.runBlocking(0, work: { .success(fetch(reason: reason)) }) {
        case .success(let ok): return ok
        }
    }

    /// Whether an unknown kid may refresh now: true at most once per 30 s (by the
    /// injected clock), and the caller then owns that refresh. Never blocks.
    public func claimUnknownKidRefresh() -> Bool {
        let now = Int64(clock.now().timeIntervalSince1970 * 1000)
        let last = lastKidRefresh.load(ordering: .relaxed)
        guard now - last >= Int64(Self.unknownKidInterval * 1000) else { return false }
        return lastKidRefresh.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged
    }

    /// For an unknown kid: refresh unless one was done for that reason in the
    /// last 30 s. Returns whether a refresh ran and loaded keys.
    public func refreshForUnknownKid() -> Bool {
        claimUnknownKidRefresh() && refresh(reason: "unknown kid")
    }

    private func fetch(reason: String) -> Bool {
        let started = clock.now()
        let result: Result<JWKSet, ConfigurationError>
        switch source {
        case .file(let path):
            if let data = FileManager.default.contents(atPath: path) {
                result = Result { () throws(ConfigurationError) -> JWKSet in try parse(Array(data)) }
            } else {
                result = .failure(ConfigurationError("JWKS file \(path) is not readable"))
            }
        case .url(let url):
            result = Result { () throws(ConfigurationError) -> JWKSet in
                let r: HTTPClientResponse
                do {
                    r = try client.send(
                        HTTPClientRequest(
                            method: "GET",
                            url: url,
                            headers: [("Accept", "application/json")],
                            connectTimeout: .seconds(3),
                            timeout: .seconds(10)
                        )
                    )
                } catch {
                    throw ConfigurationError("JWKS fetch from \(url) failed: \(error)")
                }
                guard r.status == 200 else {
                    throw ConfigurationError("JWKS fetch from \(url) answered HTTP \(r.status)")
                }
                return try parse(r.body)
            }
        }
        switch result {
        case .success(let keys):
            let generation = snapshot.withLock { s -> Int in
                let next = Snapshot(keys: keys, fetchedAt: started, generation: (s?.generation ?? 0) + 1)
                s = next
                return next.generation
            }
            publishedGeneration.store(generation, ordering: .releasing)
            status.withLock { $0 = Status(lastAttempt: started, lastOutcome: "success") }
            metrics?.jwksRefreshes.increment("success")
            logger.info(
                "JWKS loaded",
                metadata: [
                    "reason": "\(reason)", "kids": "\(JSONValue.array(keys.kids.map(JSONValue.string)).jsonString)",
                ]
            )
            return true
        case .failure(let error):
            status.withLock { $0 = Status(lastAttempt: started, lastOutcome: "failure: \(error.message)") }
            metrics?.jwksRefreshes.increment("failure")
            logger.warning(
                "JWKS refresh failed; keeping previous keys",
                metadata: ["reason": "\(reason)", "error": "\(error.message)"]
            )
            return false
        }
    }

    private func parse(_ bytes: [UInt8]) throws(ConfigurationError) -> JWKSet {
        let keys: JWKSet
        do { keys = try JWKSet(jwks: bytes) } catch { throw ConfigurationError("JWKS is not valid: \(error)") }
        logSkipped(keys.skipped)
        guard !keys.kids.isEmpty else { throw ConfigurationError("JWKS has no usable signing keys") }
        return keys
    }

    /// At most this many skipped keys get a line of their own per fetch.
    static let maxSkipLines = 20

    /// One warning per skipped key, on every fetch: `index`, `kid` and `reason`, the
    /// last two as JSON strings (the issuer chose the kid, so it is escaped).
    private func logSkipped(_ skipped: [JWKSet.Skip]) {
        for skip in skipped.prefix(Self.maxSkipLines) {
            var metadata: Logger.Metadata = ["index": "\(skip.index)", "reason": "\(JSONText.quote(skip.reason))"]
            if let kid = skip.kid { metadata["kid"] = "\(JSONText.quote(kid))" }
            logger.warning("JWKS key skipped", metadata: metadata)
        }
        if skipped.count > Self.maxSkipLines {
            logger.warning(
                "JWKS keys skipped without a line of their own",
                metadata: ["count": "\(skipped.count - Self.maxSkipLines)"]
            )
        }
    }

    /// The refresh loop: retries with backoff (1 s doubling to 30 s) until keys
    /// are in, then every hour.
    public var refreshService: PeriodicService {
        let failures = Locked(0)
        return PeriodicService(name: "credvend-jwks") { [self] in
            if refresh(reason: current == nil ? "start-up" : "hourly") {
                failures.withLock { $0 = 0 }
                return Self.refreshInterval
            }
            let n = failures.withLock { f -> Int in
                f += 1
                return f
            }
            let base = current == nil ? min(30, pow(2, Double(n - 1))) : min(300, 30 * Double(n))
            return base * Double.random(in: 0.8...1.2)
        }
    }
}
