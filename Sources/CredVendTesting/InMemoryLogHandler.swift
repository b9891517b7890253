import CredVend
import CredVendSync
public import Logging

/// The lines logged through its loggers, rendered as `LEVEL label: message key=value...`
/// and escaped exactly as on stderr (without the time), so tests read what an operator sees.
public final class LogCapture: Sendable {
    private let captured = Locked<[String]>([])

    public init() {}

    /// A logger at `level` whose every line lands here.
    public func logger(label: String = "credvend-test", level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { label in InMemoryLogHandler(label: label, capture: self) }
        logger.logLevel = level
        return logger
    }

    public var lines: [String] { captured.withLock { $0 } }

    /// The lines that contain any of `secrets` (empty strings are ignored).
    public func lines(containingAnyOf secrets: [String]) -> [String] {
        let wanted = secrets.filter { !$0.isEmpty }
        return lines.filter { line in wanted.contains { line.contains($0) } }
    }

    /// Throws, naming the offending lines by number (never the secret), when a secret was logged.
    public func assertNoSecrets(_ secrets: [String]) throws(LeakedSecret) {
        let all = lines
        let wanted = secrets.filter { !$0.isEmpty }
        let leaking = all.indices.filter { i in wanted.contains { all[i].contains($0) } }
        if !leaking.isEmpty { throw LeakedSecret(lineNumbers: leaking) }
    }

    func append(_ line: String) { captured.withLock { $0.append(line) } }
}

/// A secret was found in captured log lines (0-based indexes into `LogCapture.lines`).
public struct LeakedSecret: Error, CustomStringConvertible {
    public let lineNumbers: [Int]
    public var description: String { "a secret appears in captured log lines \(lineNumbers)" }
}

/// A swift-log handler that renders into a `LogCapture` instead of stderr.
public struct InMemoryLogHandler: LogHandler {
    public var logLevel: Logger.Level = .trace
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let capture: LogCapture

    public init(label: String, capture: LogCapture) {
        self.label = label
        self.capture = capture
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = Array("\(event.level.rawValue.uppercased()) ".utf8)
        LineLogHandler.appendEvent(event, label: label, metadata: metadata, to: &line)
        capture.append(String(decoding: line, as: UTF8.self))
    }
}
