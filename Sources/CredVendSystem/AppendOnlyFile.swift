// The audit log's file: appended to by many threads, one line per write(2).
import Glibc

/// A regular file opened for appending: `O_APPEND`, so concurrent lines never
/// overwrite each other; `O_CLOEXEC`, so children never inherit it; `O_NONBLOCK`, so
/// that opening a FIFO cannot hang start-up before it is refused. Anything but a
/// regular file is refused, and a file readable by group or others is narrowed to
/// 0600 (a new one is created so).
///
/// Sendable: the descriptor never changes, and write(2) may be called from any thread.
public final class AppendOnlyFile: Sendable {
    /// A failed system call, in the system's words.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// What failed, e.g. "cannot be opened for appending".
        public let what: String
        /// strerror's text, or what was wrong.
        public let reason: String
        public var description: String { "\(what): \(reason)" }
    }

    public let path: String
    private let fd: Int32

    public init(path: String) throws(Failure) {
        let fd = retryingOnEINTR { open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0o600) }
        guard fd >= 0 else { throw Failure(what: "cannot be opened for appending", reason: Self.errorText()) }
        do {
            try Self.checkRegularAndPrivate(fd)
        } catch {
            _ = close(fd)
            throw error
        }
        self.path = path
        self.fd = fd
    }

    /// A close error is not reported: every write was already checked, and nothing
    /// is buffered here.
    deinit { _ = close(fd) }

    /// Writes `line` whole or not at all, with one write(2), so that concurrent lines never
    /// interleave. A short write (a full disk, the file size limit) is a failure, and the
    /// part written is cut off again (ftruncate to where it began: with O_APPEND the
    /// descriptor's offset is the end of this write), so the file never ends in a part line
    /// that the next line would be glued to. Callers serialize appends (the audit log's lock).
    public func append(_ line: [UInt8]) throws(Failure) {
        let written = line.withUnsafeBytes { raw in retryingOnEINTR { write(fd, raw.baseAddress, raw.count) } }
        guard written >= 0 else { throw Failure(what: "write failed", reason: Self.errorText()) }
        guard written == line.count else {
            let short = "only \(written) of \(line.count) bytes were written"
            let end = lseek(fd, 0, SEEK_CUR)
            guard end >= written, retryingOnEINTR({ ftruncate(fd, end - off_t(written)) }) == 0 else {
                throw Failure(
                    what: "write failed",
                    reason: short + ", and the part could not be removed: \(Self.errorText())"
                )
            }
            throw Failure(what: "write failed", reason: short + "; the part was removed")
        }
    }

    private static func checkRegularAndPrivate(_ fd: Int32) throws(Failure) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Failure(what: "cannot be inspected", reason: errorText()) }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw Failure(what: "is not a regular file", reason: "only regular files are appended to")
        }
        if st.st_mode & 0o077 != 0 {
            guard fchmod(fd, 0o600) == 0 else {
                throw Failure(what: "is readable by group or others and cannot be made 0600", reason: errorText())
            }
        }
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}

/// Calls `body` again while it fails with EINTR (a signal arrived before it did anything).
private func retryingOnEINTR<R: BinaryInteger>(_ body: () -> R) -> R {
    while true {
        let result = body()
        if result >= 0 || errno != EINTR { return result }
    }
}
