import CredVend
import Foundation
import Logging

/// Process-wide logging for every command: line logs on stderr and a ring
/// buffer that the admin API reads.
enum CLILogging {
    static let ring = LogRing()

    static func bootstrap() {
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, ring: ring) }
    }

    /// One clear message on stderr and exit 2; for errors after argument parsing.
    static func fail(_ message: String, code: Int32 = 2) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(code)
    }
}

/// `HOST:PORT` as `--listen` takes it (IPv6 in brackets).
enum HostPort {
    static func parse(_ text: String) -> (String, UInt16)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        return (host, port)
    }
}
