public import CredVendCore
import CredVendSync
import CredVendSystem
public import Foundation
public import Logging
import ServiceLifecycle
import UnixSignals

/// What one refresh produced: the files to (re)write and what to log.
public struct RefreshedFiles: Sendable {
    public var obtainedAt: Date
    public var expiration: Date?
    /// Written in this order, each atomically (`SecretFile`).
    public var files: [(path: String, bytes: [UInt8])]
    /// Logged with each refresh: identifiers and times, never a secret.
    public var metadata: Logger.Metadata

    public init(obtainedAt: Date, expiration: Date?, files: [(path: String, bytes: [UInt8])], metadata: Logger.Metadata)
    {
        self.obtainedAt = obtainedAt
        self.expiration = expiration
        self.files = files
        self.metadata = metadata
    }
}

/// The loop behind credential-daemon and token-daemon: fetch, write the files
/// atomically, sleep until `RefreshSchedule` says, and on a failure keep the
/// old files and retry with backoff. SIGTERM or SIGINT stop it cleanly: a
/// write in progress finishes, none starts, the process exits 0.
public final class FileRefreshDaemon: Sendable {
    public typealias Fetch = @Sendable (_ forceRefresh: Bool) throws(ClientError) -> RefreshedFiles

    private struct State {
        var refreshes = 0
        var failures = 0
        var lastExpiration: Date?
        var stopping = false
    }

    private let what: String
    private let schedule: RefreshSchedule
    private let fetch: Fetch
    private let clock: @Sendable () -> Date
    /// The jitter of the waits after a failure, in [0, 1).
    private let unitRandom: @Sendable () -> Double
    private let logger: Logger
    private let state = Locked(State())

    /// - Parameter what: what the files hold, for log lines ("credentials", "token").
    public init(
        what: String,
        schedule: RefreshSchedule,
        clock: @escaping @Sendable () -> Date = { Date() },
        unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        logger: Logger,
        fetch: @escaping Fetch
    ) {
        self.unitRandom = unitRandom
        self.what = what
        self.schedule = schedule
        self.clock = clock
        self.logger = logger
        self.fetch = fetch
    }

    /// One refresh (from the cache while fresh) and one write; for `--once`.
    @discardableResult
    public func refreshOnce() throws(ClientError) -> RefreshedFiles {
        let item = try fetch(false)
        try write(item)
        return item
    }

    /// Refreshes until SIGTERM or SIGINT.
    public func run(threadName: String) async throws {
        let signal = try await runUntilStopSignal(
            [PeriodicService(name: threadName) { [self] in step() }],
            logger: logger
        )
        // Taking the lock waits for a write in progress; after it, none starts.
        state.withLock { $0.stopping = true }
        logger.info("stopped", metadata: signal.map { ["signal": "\($0)"] } ?? [:])
    }

    /// One turn of the loop; the seconds to sleep before the next.
    func step() -> TimeInterval {
        let first = state.withLock { $0.refreshes == 0 && $0.failures == 0 }
        do throws(ClientError) {
            let item = try fetch(!first)
            guard try write(item) else { return 0 }
            let delay = schedule.delayAfterSuccess(obtained: item.obtainedAt, expiration: item.expiration, now: clock())
            let count = state.withLock { s -> Int in
                s.refreshes += 1
                s.failures = 0
                s.lastExpiration = item.expiration
                return s.refreshes
            }
            var metadata = item.metadata
            metadata["refresh"] = "\(count)"
            metadata["next_refresh_in"] = "\(Self.seconds(delay))"
            logger.info("\(what) refreshed", metadata: metadata)
            return delay
        } catch {
            let (failures, expiration) = state.withLock { s -> (Int, Date?) in
                s.failures += 1
                return (s.failures, s.lastExpiration)
            }
            // Never sooner than a busy server's Retry-After asks (jittered, so a site's
            // daemons refused together come back spread).
            let delay = max(
                schedule.delayAfterFailure(failures: failures, unitRandom: unitRandom()),
                RetryAfter.wait(asked: error.retryAfter, backoff: .zero, unitRandom: unitRandom()) / .seconds(1)
            )
            logger.error(
                "\(what) refresh failed; the old files stay",
                metadata: [
                    "error": "\(error.message)", "failures": "\(failures)", "retry_in": "\(Self.seconds(delay))",
                ]
            )
            if let expiration, expiration <= clock() {
                logger.error(
                    "the \(what) in the files have expired",
                    metadata: ["expired": "\(ISO8601.string(expiration))"]
                )
            }
            return delay
        }
    }

    /// Writes every file unless the daemon is stopping; false if it was.
    @discardableResult
    private func write(_ item: RefreshedFiles) throws(ClientError) -> Bool {
        try state.withLock { s throws(ClientError) -> Bool in
            guard !s.stopping else { return false }
            for file in item.files {
                do {
                    try SecretFile.write(file.bytes, to: file.path)
                } catch {
                    throw ClientError(.files, "\(error)")
                }
            }
            return true
        }
    }

    static func seconds(_ t: TimeInterval) -> String { String(format: "%.1fs", t) }
}

/// Directories the daemons write into.
public enum DaemonFiles {
    /// Creates `directory` (mode 0700) if missing and removes the temporary
    /// files a writer killed mid-write left behind for `names`.
    public static func prepare(directory: String, names: [String]) throws(ClientError) {
        let fm = FileManager.default
        do {
            try fm.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw ClientError(.files, "cannot create the directory \(directory): \(error.localizedDescription)")
        }
        guard fm.isWritableFile(atPath: directory) else {
            throw ClientError(.files, "the directory \(directory) is not writable")
        }
        let leftovers = ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).filter { entry in
            names.contains { entry.hasPrefix(".\($0).tmp-") }
        }
        for entry in leftovers { try? fm.removeItem(atPath: directory + "/" + entry) }
    }
}
