import Synchronization

/// The latest log lines kept in memory for `GET /admin/v1/logs`. Lines reach it
/// only through the log handler, which never receives a token or secret.
public final class LogRing: Sendable {
    private struct State {
        var lines: [String] = []
        var next = 0
    }
    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int = 2000) { self.capacity = capacity }

    public func append(_ line: String) {
        state.withLock { s in
            if s.lines.count < capacity {
                s.lines.append(line)
            } else {
                s.lines[s.next] = line
                s.next = (s.next + 1) % capacity
            }
        }
    }

    /// The newest `n` lines, oldest first.
    public func latest(_ n: Int) -> [String] {
        state.withLock { s in
            let ordered = s.lines.count < capacity ? s.lines : Array(s.lines[s.next...] + s.lines[..<s.next])
            return Array(ordered.suffix(max(0, n)))
        }
    }
}
