import CredVendCore
import CredVendSystem
import Foundation
public import Logging

/// One line per event on stderr (and into a `LogRing`): time, level, label,
/// message, then `key=value` metadata in key order. Callers pass no secret; this
/// handler adds none. Label, message, keys and values are escaped by `LogEscaping`, so an
/// event is one line of printable ASCII whatever its values hold.
///
/// Cheap enough for one line per request: the line is built as bytes in one buffer,
/// the `YYYY-MM-DDTHH:MM:SS` part is formatted once per second per thread (no FileHandle,
/// no Data, no String(format:)), and lines go out in batches (`BatchedLineWriter`): info
/// lines within 10 ms, warnings and errors at once, everything at exit.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let ring: LogRing?

    public init(label: String, ring: LogRing?) {
        self.label = label
        self.ring = ring
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // The thread's own buffer, emptied and reused: a line allocates nothing. Taken out
        // while the line is built, so each append is to a local array known to be unique.
        let buffer = Self.buffers.value(orMake: LineBuffer.init)
        var line: [UInt8] = []
        swap(&line, &buffer.line)
        line.removeAll(keepingCapacity: true)
        Self.appendTimestamp(&line)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: Self.levelName(event.level).utf8)
        line.append(UInt8(ascii: " "))
        Self.appendEvent(event, label: label, metadata: metadata, to: &line)
        line.append(UInt8(ascii: "\n"))
        ring?.append(utf8: line)
        BatchedLineWriter.standardError.append(line, urgent: event.level >= .warning)
        swap(&line, &buffer.line)
    }

    private static let buffers = ThreadLocal<LineBuffer>()

    /// `label: message key=value...` with the metadata merged and in key order, every part
    /// escaped: the line after the time and level (tests' log capture renders the same).
    public static func appendEvent(
        _ event: LogEvent,
        label: String,
        metadata: Logger.Metadata,
        to line: inout [UInt8]
    ) {
        LogEscaping.appendText(label, to: &line)
        line.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
        LogEscaping.appendText(event.message.description, to: &line)  // the message's own string: no copy
        guard !metadata.isEmpty || event.metadata?.isEmpty == false else { return }  // an access-log line
        var merged = metadata
        if let extra = event.metadata {
            if merged.isEmpty { merged = extra } else { merged.merge(extra) { $1 } }
        }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line.append(UInt8(ascii: " "))
            LogEscaping.appendValue(key, to: &line)
            line.append(UInt8(ascii: "="))
            switch value {
            case .string(let s): LogEscaping.appendValue(s, to: &line)
            default: LogEscaping.appendValue(value.description, to: &line)
            }
        }
    }

    /// Inline strings: no dictionary lookup, no reference count.
    private static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info: "INFO"
        case .notice: "NOTICE"
        case .warning: "WARNING"
        case .error: "ERROR"
        case .critical: "CRITICAL"
        }
    }

    /// `2026-11-24T23:31:37.123Z` (UTC, milliseconds).
    private static func appendTimestamp(_ line: inout [UInt8]) {
        let now = Date().timeIntervalSince1970
        let seconds = Int(now.rounded(.down))
        let memo: SecondStamp
        if let m = stamps.value, m.second == seconds {
            memo = m
        } else {
            let base = ISO8601.string(Date(timeIntervalSince1970: TimeInterval(seconds)))  // ...SSZ
            memo = SecondStamp(second: seconds, text: Array(base.utf8.dropLast()))
            stamps.value = memo
        }
        line.append(contentsOf: memo.text)
        let millis = min(999, Int((now - Double(seconds)) * 1000))
        line.append(UInt8(ascii: "."))
        line.append(UInt8(ascii: "0") + UInt8(millis / 100))
        line.append(UInt8(ascii: "0") + UInt8(millis / 10 % 10))
        line.append(UInt8(ascii: "0") + UInt8(millis % 10))
        line.append(UInt8(ascii: "Z"))
    }

    private static let stamps = ThreadLocal<SecondStamp>()
}

/// One thread's line being built (both receivers copy it).
private final class LineBuffer {
    var line: [UInt8] = []

    init() { line.reserveCapacity(256) }
}

/// One thread's formatted current second.
private final class SecondStamp {
    let second: Int
    let text: [UInt8]

    init(second: Int, text: [UInt8]) {
        self.second = second
        self.text = text
    }
}
