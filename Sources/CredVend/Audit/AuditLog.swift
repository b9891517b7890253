public import CredVendCore
import CredVendSync
import CredVendSystem
import Foundation
public import Logging

/// The audit log file (`--audit-log`): JSON lines appended to a regular file, created
/// mode 0600 (see `AppendOnlyFile`). Each record is rendered before the lock is taken; the lock covers only the
/// one `write(2)` of the finished line (with the rollback of a write cut short, so the file
/// holds whole lines only) and a reopen, so requests never wait on each other for more
/// than one small write to the page cache.
public final class AuditLog: Sendable {
    public let path: String
    private let file: Locked<any AuditSink>
    private let metrics: ServerMetrics?
    private let logger: Logger
    private let lastFailureLogged = Locked<Date?>(nil)

    public init(path: String, metrics: ServerMetrics?, logger: Logger) throws(ConfigurationError) {
        self.path = path
        self.metrics = metrics
        self.logger = logger
        file = Locked(try Self.open(path))
    }

    /// An audit log over another sink (tests: one whose writes fail).
    package init(path: String, sink: any AuditSink, metrics: ServerMetrics?, logger: Logger) {
        self.path = path
        self.metrics = metrics
        self.logger = logger
        file = Locked(sink)
    }

    /// Appends one line (which ends in a newline). On failure: counted in
    /// `credvend_audit_write_failures_total`, logged (at most every 10 s), false returned.
    @discardableResult
    public func write(_ line: String) -> Bool {
        let bytes = Array(line.utf8)
        let failure = file.withLock { $0.write(bytes) }
        guard let failure else { return true }
        metrics?.auditWriteFailures.increment()
        let now = Date()
        let shouldLog = lastFailureLogged.withLock { last -> Bool in
            if let l = last, now.timeIntervalSince(l) < 10 { return false }
            last = now
            return true
        }
        if shouldLog {
            logger.error(
                "audit record could not be written",
                metadata: [
                    "audit_log": "\(path)", "error": "\(failure)",
                    "failures_total": "\(metrics?.auditWriteFailures.current ?? 0)",
                ]
            )
        }
        return false
    }

    /// Opens the path again (after log rotation moved the file away); on failure the
    /// current file stays in use.
    public func reopen() throws(ConfigurationError) {
        let fresh = try Self.open(path)
        // The old file is closed as it is released: writers only use it under the lock.
        file.withLock { $0 = fresh }
    }

    private static func open(_ path: String) throws(ConfigurationError) -> any AuditSink {
        do {
            return try AppendOnlyFile(path: path)
        } catch {
            throw ConfigurationError("--audit-log \(path) \(error)")
        }
    }
}

/// Where finished audit lines go; `append` returns why a line was not written, or nil.
package protocol AuditSink: Sendable {
    func write(_ bytes: [UInt8]) -> String?
}

extension AppendOnlyFile: AuditSink {
    package func write(_ bytes: [UInt8]) -> String? {
        do throws(AppendOnlyFile.Failure) {
            try append(bytes)
            return nil
        } catch {
            return error.reason
        }
    }
}
