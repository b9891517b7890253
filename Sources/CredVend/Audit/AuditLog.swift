import Foundation
public import Logging
import Synchronization
public import CredVendCore

/// The audit log file (`--audit-log`): JSON lines, opened `O_APPEND` and created mode
/// 0600. Each record is rendered before the lock is taken; the lock covers only the
/// one `write(2)` of the finished line (and a reopen), so requests never wait on
/// each other for more than one small write to the page cache.
public final class AuditLog: Sendable {
    public let path: String
    private let file: Mutex<FileHandle>
    private let metrics: ServerMetrics?
    private let logger: Logger
    private let lastFailureLogged = Mutex<Date?>(nil)

    public init(path: String, metrics: ServerMetrics?, logger: Logger) throws(ConfigurationError) {
        self.path = path
        self.metrics = metrics
        self.logger = logger
        file = Mutex(try Self.open(path))
    }

    /// Appends one line (which ends in a newline). On failure: counted in
    /// `credvend_audit_write_failures_total`, logged (at most every 10 s), false returned.
    @discardableResult
    public func write(_ line: String) -> Bool {
        let data = Data(line.utf8)
        let failure: (any Error)? = file.withLock { handle in
            do {
                try handle.write(contentsOf: data)
                return nil
            } catch {
                return error
            }
        }
        guard let failure else { return true }
        metrics?.auditWriteFailures.increment()
        let now = Date()
        let shouldLog = lastFailureLogged.withLock { last -> Bool in
            if let l = last, now.timeIntervalSince(l) < 10 { return false }
            last = now
            return true
        }
        if shouldLog {
            logger.error("audit record could not be written", metadata: [
                "audit_log": "\(path)", "error": "\(Self.describe(failure))",
                "failures_total": "\(metrics?.auditWriteFailures.current ?? 0)"])
        }
        return false
    }

    /// The system's words for a failed write ("No space left on device").
    static func describe(_ error: any Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription ?? ns.localizedDescription
    }

    /// Opens the path again (after log rotation moved the file away); on failure the
    /// current file stays in use.
    public func reopen() throws(ConfigurationError) {
        let fresh = try Self.open(path)
        let old = file.withLock { handle in
            let old = handle
            handle = fresh
            return old
        }
        try? old.close()
    }

    private static func open(_ path: String) throws(ConfigurationError) -> FileHandle {
        let fd = Foundation.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ConfigurationError("--audit-log \(path) cannot be opened for appending: \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        // An existing regular file keeps our records: narrow it to 0600 like a new one.
        // Other kinds (a FIFO read by a log shipper, a device) are left as they are.
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
           attributes[.type] as? FileAttributeType == .typeRegular,
           let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            guard fchmod(fd, 0o600) == 0 else {
                let reason = String(cString: strerror(errno))
                throw ConfigurationError("--audit-log \(path) is readable by group or others and cannot be made 0600: \(reason)")
            }
        }
        return handle
    }
}
