internal import COpenSSL

extension OpenSSLError {
    /// The failure OpenSSL reported for `operation`, draining this thread's error queue.
    static func fromQueue(_ operation: String) -> OpenSSLError {
        var lines: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            lines.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return OpenSSLError(
            operation: operation,
            detail: lines.isEmpty ? "unknown error" : lines.joined(separator: "; ")
        )
    }

    /// A refusal decided by credvend rather than by OpenSSL (drains the queue anyway).
    static func refused(_ operation: String, _ detail: String) -> OpenSSLError {
        ERR_clear_error()
        return OpenSSLError(operation: operation, detail: detail)
    }

    /// Stops the process for a failure that can only mean OpenSSL itself is broken
    /// (an algorithm of the default provider missing, a tiny allocation failing):
    /// no caller could do anything but fail every request the same way. `fatalError`
    /// rather than `preconditionFailure`, whose message release builds drop.
    static func broken(_ operation: String) -> Never {
        fatalError("\(fromQueue(operation)) (OpenSSL itself is broken or misconfigured)")
    }
}
