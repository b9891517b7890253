import CredVendCore
import CredVendSync
import CredVendSystem
// Connection admission and the whole-request deadline for MHD.swift. libmicrohttpd's own
// timeout counts only idle time (a client sending a byte every few seconds never meets it)
// and its own limits refuse silently, so the accept policy and the deadline live here.
// No libmicrohttpd calls: MHD.swift feeds in addresses, sockets and the callbacks' events.
import Foundation
import Synchronization

/// A client address as a hashable key: IPv4 (IPv4-mapped IPv6 too) or IPv6.
/// nil for a Unix socket peer, which is not limited per address.
struct PeerKey: Hashable, Sendable {
    let high: UInt64
    let low: UInt64

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    init?(_ address: UnsafePointer<sockaddr>?) {
        guard let address else { return nil }
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            let ip = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
            (high, low) = (0, 0xFFFF_0000_0000 | UInt64(UInt32(bigEndian: ip)))
        case AF_INET6:
            let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                withUnsafeBytes(of: v6.pointee.sin6_addr) { Array($0) }
            }
            func word(_ range: Range<Int>) -> UInt64 { bytes[range].reduce(0) { $0 << 8 | UInt64($1) } }
            (high, low) = (word(0..<8), word(8..<16))  // ::ffff:a.b.c.d gives the IPv4 key above
        default:
            return nil
        }
    }
}

/// One open connection. `requestStart` is when its current request began: the accept,
/// then the end of each response (a keep-alive connection's idle time counts).
final class ConnectionRecord: Sendable {
    let fd: Int32
    let key: PeerKey?
    let requestStart: Atomic<UInt64>
    /// True while a request's head and body are awaited; false from dispatch to the end of its response.
    let receiving = Atomic(true)
    /// Set by whichever closes it for the deadline first, so it is counted once.
    let expired = Atomic(false)
    /// The handshake and verified client certificate of a TLS listener's connection.
    let tls: TLSConnectionState?

    init(fd: Int32, key: PeerKey?, now: UInt64, tls: TLSConnectionState?) {
        self.fd = fd
        self.key = key
        self.tls = tls
        requestStart = Atomic(now)
    }
}

/// Per-daemon admission (the global and per-address limits, checked in MHD's accept
/// policy callback) and deadline enforcement: the access handler drops an overdue request
/// itself, and a sweeper thread shuts down the socket of one that never reaches it (a head
/// trickled in). Shutting down, never closing: libmicrohttpd sees end-of-stream on its next
/// read and closes the connection itself, and the descriptor cannot have been reused
/// because MHD's CLOSED notification (which takes the same lock) precedes its close().
final class ConnectionGuard: Sendable {
    let deadlineNanos: UInt64
    let observer: (any HTTPServerObserver)?
    private let state: Locked<State>
    private let sweeping = Atomic(false)

    struct State {
        var counts: ConnectionCounts<PeerKey>
        var records: [ObjectIdentifier: ConnectionRecord] = [:]
    }

    init(limit: Int, perAddressLimit: Int, deadlineSeconds: Int, observer: (any HTTPServerObserver)?) {
        deadlineNanos = UInt64(deadlineSeconds) * 1_000_000_000
        self.observer = observer
        state = Locked(State(counts: ConnectionCounts(limit: limit, perAddressLimit: perAddressLimit)))
    }

    /// The accept policy: false (counted) when the limits are reached.
    func admit(_ key: PeerKey?) -> Bool {
        guard let refusal = state.withLock({ $0.counts.refusal(for: key) }) else { return true }
        observer?.connectionRefused(refusal)
        return false
    }

    func opened(fd: Int32, key: PeerKey?, tls: TLSConnectionState? = nil) -> ConnectionRecord {
        let record = ConnectionRecord(fd: fd, key: key, now: MonotonicClock.nanos(), tls: tls)
        state.withLock { state in
            state.counts.opened(key)
            state.records[ObjectIdentifier(record)] = record
        }
        return record
    }

    func closed(_ record: ConnectionRecord) {
        state.withLock { state in
            if state.records.removeValue(forKey: ObjectIdentifier(record)) != nil { state.counts.closed(record.key) }
        }
    }

    var openConnections: Int { state.withLock { $0.counts.total } }

    /// The request's head and body are in: the deadline stops counting.
    func dispatched(_ record: ConnectionRecord) { record.receiving.store(false, ordering: .relaxed) }

    /// Its response is out: the next request's time starts.
    func completed(_ record: ConnectionRecord) {
        record.requestStart.store(MonotonicClock.nanos(), ordering: .relaxed)
        // Releasing: a sweeper that sees `receiving` also sees the new start.
        record.receiving.store(true, ordering: .releasing)
    }

    /// Half the request deadline: a head that sat whole in the socket this long before a
    /// worker read it was delayed by this server (its workers behind), not by its client.
    var lateNanos: UInt64 { deadlineNanos / 2 }

    /// True when the request being received started more than `lateNanos` ago: one clock
    /// read, all that a request on time pays.
    func isLate(_ record: ConnectionRecord, now: UInt64 = MonotonicClock.nanos()) -> Bool {
        let start = record.requestStart.load(ordering: .relaxed)
        return now > start && now - start > lateNanos
    }

    /// `Retry-After` (seconds) for a request answered 503 because it waited `waitedNanos`
    /// unread: about that long again, at least 1 s, spread over [wait, 2 x wait) so that
    /// clients refused together do not come back together, at most 60 s.
    static func retryAfter(waitedNanos: UInt64, unitRandom: Double) -> Int {
        let wait = min(max(Double(waitedNanos) / 1e9, 1), 60)
        return min(60, max(1, Int((wait * (1 + min(max(unitRandom, 0), 1))).rounded(.up))))
    }

    /// True (and counted, once) when the request being received is past its deadline.
    /// `idleSince`: whether no byte has come since a moment (nanoseconds ago); the sweeper asks
    /// the kernel, so a connection that never started a request is counted as `idle`.
    func expire(
        _ record: ConnectionRecord,
        now: UInt64 = MonotonicClock.nanos(),
        idleSince: (UInt64) -> Bool = { _ in false }
    ) -> Bool {
        guard record.receiving.load(ordering: .acquiring) else { return false }
        // A start stamped after the sweeper read its clock has no time elapsed (not a wrap).
        let start = record.requestStart.load(ordering: .relaxed)
        let elapsed = now > start ? now - start : 0
        guard elapsed > deadlineNanos else { return false }
        if record.expired.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged {
            observer?.connectionRefused(idleSince(elapsed) ? .idle : .deadline)
        }
        return true
    }

    /// Shuts down the socket of every connection whose request is past its deadline.
    func sweep(now: UInt64 = MonotonicClock.nanos()) {
        state.withLock { state in
            for record in state.records.values
            where !record.expired.load(ordering: .relaxed)
                && expire(record, now: now, idleSince: { ConnectedSocket.noDataReceived(record.fd, for: $0) })
            {
                ConnectedSocket.shutdown(record.fd)
            }
        }
    }

    /// A thread that sweeps a few times a second (at most a quarter of the deadline late).
    func startSweeper() {
        sweeping.store(true, ordering: .relaxed)
        let interval = useconds_t(min(250_000, deadlineNanos / 4_000))
        Thread.detachNewThread { [self] in
            while sweeping.load(ordering: .relaxed) {
                usleep(interval)
                sweep()
            }
        }
    }

    func stopSweeper() { sweeping.store(false, ordering: .relaxed) }
}
