import CredVendSync
import Synchronization

/// The latest log lines kept in memory for `GET /admin/v1/logs`. Lines reach it
/// only through the log handler, which never receives a token or secret.
/// Writers claim a slot with one atomic increment and lock only that slot, so
/// request threads logging at once do not meet on a shared lock.
public final class LogRing: Sendable {
    private final class Slot: Sendable {
        /// The line's UTF-8 bytes, decoded only when read. Copied into the slot's own buffer,
        /// which keeps its capacity: keeping a line allocates nothing and frees nothing (freeing
        /// the line it replaced, made by another thread, cost more than the copy).
        let line = Locked(Line())
    }

    private struct Line {
        var sequence = -1
        var bytes: [UInt8] = []
    }

    public let capacity: Int
    private let slots: [Slot]
    private let written = Atomic<Int>(0)

    public init(capacity: Int = 2000) {
        self.capacity = max(1, capacity)
        self.slots = (0..<max(1, capacity)).map { _ in Slot() }
    }

    public func append(_ line: String) { append(utf8: Array(line.utf8)) }

    /// `line` as UTF-8; one trailing newline is not part of it.
    public func append(utf8 line: [UInt8]) {
        let sequence = written.add(1, ordering: .relaxed).newValue - 1
        slots[sequence % capacity].line.withLock { current in
            // A slower writer of an older line never overwrites a newer one.
            if current.sequence > sequence { return }
            current.sequence = sequence
            current.bytes.removeAll(keepingCapacity: true)
            current.bytes.append(contentsOf: line)
        }
    }

    /// The newest `n` lines, oldest first.
    public func latest(_ n: Int) -> [String] {
        let end = written.load(ordering: .relaxed)
        let count = min(max(0, n), capacity, end)
        var out: [String] = []
        out.reserveCapacity(count)
        for sequence in (end - count)..<end {
            let entry = slots[sequence % capacity].line.withLock { $0 }
            if entry.sequence == sequence {
                let bytes = entry.bytes.last == UInt8(ascii: "\n") ? entry.bytes.dropLast() : entry.bytes[...]
                out.append(String(decoding: bytes, as: UTF8.self))
            }
        }
        return out
    }
}
