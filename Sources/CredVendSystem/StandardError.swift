// Writing to file descriptor 2 without Foundation's FileHandle: one write(2) per call
// (retried on a short write or EINTR), so concurrent log lines never interleave
// within a line (lines are far below PIPE_BUF) and nothing is buffered.
import Glibc

public enum StandardError {
    /// Writes all of `bytes` to stderr; gives up silently on an error (logging must never fail a request).
    public static func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(2, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
