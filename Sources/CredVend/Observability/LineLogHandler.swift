import Foundation
import Logging

/// One line per event on stderr (and into a `LogRing`): time, level, label,
/// message, then `key=value` metadata. Callers pass no secret; this handler
/// adds none.
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
        var line = "\(timestamp()) \(event.level.rawValue.uppercased()) \(label): \(event.message)"
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        for key in merged.keys.sorted() { line += " \(key)=\(merged[key]!)" }
        ring?.append(line)
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    private func timestamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        let base = ISO8601.string(Date(timeIntervalSince1970: TimeInterval(tv.tv_sec)))
        return String(base.dropLast()) + String(format: ".%03dZ", Int(tv.tv_usec) / 1000)
    }
}
