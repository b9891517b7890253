import CEpoll
import Glibc
import Histogram
import Synchronization

/// What one load phase does.
struct LoadPlan: Sendable {
    var port: UInt16
    var connections: Int
    var threads: Int
    /// Upper bound on the phase's length.
    var duration: Double
    /// Total requests per second across all connections (open loop); nil = closed loop.
    var rate: Double?
    /// Record latencies (false for warm-up phases).
    var record = true
    /// Also a latency histogram per window of this many seconds (by intended send time),
    /// so a long run shows when a stall happened, not only that one did.
    var windowSeconds: Double? = nil
}

/// The requests to send: pre-built HTTP/1.1 messages. `unique`: each is sent
/// once (fresh tokens, new clients) and the phase ends when they run out;
/// otherwise every connection cycles through them from its own offset.
final class RequestSet: Sendable {
    let messages: [[UInt8]]
    let unique: Bool
    private let nextUnique = Atomic<Int>(0)

    init(messages: [[UInt8]], unique: Bool) {
        self.messages = messages
        self.unique = unique
    }

    /// The next message for connection `conn` (its `sequence`-th), or nil when a unique set is used up.
    func message(conn: Int, sequence: Int) -> [UInt8]? {
        if unique {
            let i = nextUnique.add(1, ordering: .relaxed).oldValue
            return i < messages.count ? messages[i] : nil
        }
        return messages[(conn &* 7919 &+ sequence) % messages.count]
    }
}

/// What a phase measured.
struct LoadResult {
    var latency = Histogram<UInt64>(
        lowestDiscernibleValue: 1,
        highestTrackableValue: 120_000_000_000,
        numberOfSignificantValueDigits: .three
    )  // ns, from the intended send time
    var service = Histogram<UInt64>(
        lowestDiscernibleValue: 1,
        highestTrackableValue: 120_000_000_000,
        numberOfSignificantValueDigits: .three
    )  // ns, from the actual send time
    /// One per `LoadPlan.windowSeconds` (2 significant digits: 60 of them stay small).
    var windows: [Histogram<UInt64>] = []
    var statuses: [Int: Int] = [:]
    var errors = 0
    var reconnects = 0
    var completed = 0
    var elapsedSeconds = 0.0
    var lastResponseBodyBytes = 0

    mutating func merge(_ other: LoadResult) {
        latency.add(other.latency)
        service.add(other.service)
        while windows.count < other.windows.count { windows.append(LoadResult.windowHistogram()) }
        for (i, w) in other.windows.enumerated() { windows[i].add(w) }
        for (k, v) in other.statuses { statuses[k, default: 0] += v }
        errors += other.errors
        reconnects += other.reconnects
        completed += other.completed
        lastResponseBodyBytes = max(lastResponseBodyBytes, other.lastResponseBodyBytes)
    }

    static func windowHistogram() -> Histogram<UInt64> {
        Histogram(
            lowestDiscernibleValue: 1,
            highestTrackableValue: 120_000_000_000,
            numberOfSignificantValueDigits: .two
        )
    }
}

/// A wrk-style HTTP/1.1 keep-alive load generator: `threads` epoll loops share the
/// connections; closed loop sends the next request as soon as a response is in,
/// open loop sends on a fixed schedule and measures latency from the *intended*
/// send time (wrk2), so a stall is charged to every request it delays.
enum HTTPLoad {
    static func run(_ plan: LoadPlan, requests: RequestSet) -> LoadResult {
        let threads = max(1, min(plan.threads, plan.connections))
        let results = Mutex<[LoadResult]>([])
        let start = monotonicNanos()
        let deadline = start + UInt64(plan.duration * 1e9)
        var workers: [pthread_t] = []
        for t in 0..<threads {
            let conns = Array(stride(from: t, to: plan.connections, by: threads))
            let worker = Worker(plan: plan, requests: requests, connIds: conns, start: start, deadline: deadline)
            let box = Unmanaged.passRetained(
                WorkerBox {
                    let r = worker.run()  // outside the lock: the workers run at the same time
                    results.withLock { $0.append(r) }
                }
            )
            var tid = pthread_t()
            let rc = pthread_create(
                &tid,
                nil,
                { raw in
                    let b = Unmanaged<WorkerBox>.fromOpaque(raw!).takeRetainedValue()
                    b.body()
                    return nil
                },
                box.toOpaque()
            )
            precondition(rc == 0, "pthread_create failed")
            workers.append(tid)
        }
        for tid in workers { pthread_join(tid, nil) }
        var merged = LoadResult()
        for r in results.withLock({ $0 }) { merged.merge(r) }
        merged.elapsedSeconds = Double(monotonicNanos() - start) / 1e9
        return merged
    }
}

private final class WorkerBox: @unchecked Sendable {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

private struct Conn {
    var id: Int
    var fd: Int32 = -1
    var out: [UInt8] = []
    var outOffset = 0
    var inBuffer: UnsafeMutableRawBufferPointer
    var inLength = 0
    var busy = false
    var intended: UInt64 = 0
    var sent: UInt64 = 0
    var nextDue: UInt64 = 0
    var sequence = 0
    var done = false
}

private final class Worker: @unchecked Sendable {
    let plan: LoadPlan
    let requests: RequestSet
    var conns: [Conn]
    let start: UInt64
    let deadline: UInt64
    let interval: UInt64  // per connection, open loop
    var result = LoadResult()
    var statusCounts = [Int](repeating: 0, count: 600)
    let epfd: Int32

    init(plan: LoadPlan, requests: RequestSet, connIds: [Int], start: UInt64, deadline: UInt64) {
        self.plan = plan
        self.requests = requests
        self.start = start
        self.deadline = deadline
        if let rate = plan.rate {
            interval = UInt64(Double(plan.connections) / rate * 1e9)
        } else {
            interval = 0
        }
        conns = connIds.map { id in
            Conn(id: id, inBuffer: UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16))
        }
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
    }

    deinit {
        for c in conns {
            if c.fd >= 0 { close(c.fd) }
            c.inBuffer.deallocate()
        }
        close(epfd)
    }

    func connect(_ i: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = plan.port.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian  // 127.0.0.1 only
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            return false
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var ev = epoll_event()
        ev.events = EPOLLIN.rawValue
        ev.data.u64 = UInt64(i)
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)
        conns[i].fd = fd
        conns[i].inLength = 0
        conns[i].outOffset = 0
        return true
    }

    func reconnect(_ i: Int) {
        if conns[i].fd >= 0 {
            epoll_ctl(epfd, EPOLL_CTL_DEL, conns[i].fd, nil)
            close(conns[i].fd)
            conns[i].fd = -1
        }
        result.reconnects += 1
        conns[i].busy = false
        if !connect(i) {
            conns[i].done = true
            result.errors += 1
        }
    }

    /// Starts the next request on idle connection `i`, intended at `intended`.
    func send(_ i: Int, intended: UInt64, now: UInt64) {
        guard let message = requests.message(conn: conns[i].id, sequence: conns[i].sequence) else {
            conns[i].done = true
            return
        }
        conns[i].sequence += 1
        conns[i].out = message
        conns[i].outOffset = 0
        conns[i].busy = true
        conns[i].intended = intended
        conns[i].sent = now
        flush(i)
    }

    func flush(_ i: Int) {
        let fd = conns[i].fd
        while conns[i].outOffset < conns[i].out.count {
            let n = conns[i].out.withUnsafeBytes { b in
                Glibc.send(fd, b.baseAddress! + conns[i].outOffset, b.count - conns[i].outOffset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                conns[i].outOffset += n
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                var ev = epoll_event()
                ev.events = EPOLLIN.rawValue | EPOLLOUT.rawValue
                ev.data.u64 = UInt64(i)
                epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev)
                return
            }
            result.errors += 1
            reconnect(i)
            return
        }
    }

    func run() -> LoadResult {
        for i in conns.indices where !connect(i) {
            result.errors += 1
            conns[i].done = true
        }
        let now0 = monotonicNanos()
        for i in conns.indices where !conns[i].done {
            if interval == 0 {
                send(i, intended: now0, now: now0)
            } else {
                // Stagger the connections' schedules across one interval.
                conns[i].nextDue = start + interval * UInt64(conns[i].id) / UInt64(plan.connections)
            }
        }
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while true {
            var now = monotonicNanos()
            if now >= deadline { break }
            var wake = deadline
            var active = false
            for i in conns.indices where !conns[i].done {
                active = true
                if interval > 0 && !conns[i].busy {
                    if conns[i].nextDue <= now {
                        let due = conns[i].nextDue
                        conns[i].nextDue += interval
                        send(i, intended: due, now: now)
                    }
                    if !conns[i].busy { wake = min(wake, conns[i].nextDue) }
                } else if !conns[i].busy && interval == 0 {
                    send(i, intended: now, now: now)
                }
            }
            if !active || conns.allSatisfy({ $0.done || !$0.busy }) && interval == 0 { break }
            now = monotonicNanos()
            let waitNs = wake > now ? wake - now : 0
            let n = events.withUnsafeMutableBufferPointer {
                cepoll_wait_ns(epfd, $0.baseAddress, Int32($0.count), Int64(waitNs))
            }
            if n < 0 {
                if errno == EINTR { continue }
                break
            }
            for e in 0..<Int(n) {
                let i = Int(events[e].data.u64)
                if events[e].events & EPOLLOUT.rawValue != 0 {
                    var ev = epoll_event()
                    ev.events = EPOLLIN.rawValue
                    ev.data.u64 = UInt64(i)
                    epoll_ctl(epfd, EPOLL_CTL_MOD, conns[i].fd, &ev)
                    flush(i)
                }
                if events[e].events & (EPOLLIN.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 { receive(i) }
            }
        }
        for (status, n) in statusCounts.enumerated() where n > 0 { result.statuses[status] = n }
        return result
    }

    func receive(_ i: Int) {
        let fd = conns[i].fd
        while true {
            let room = conns[i].inBuffer.count - conns[i].inLength
            if room == 0 {
                result.errors += 1
                reconnect(i)
                return
            }
            let n = recv(fd, conns[i].inBuffer.baseAddress! + conns[i].inLength, room, 0)
            if n > 0 {
                conns[i].inLength += n
                while parseOne(i) {}
                if n < room { return }
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            if n < 0 && errno == EINTR { continue }
            // Closed by the server (or an error): a request in flight is lost.
            if conns[i].busy { result.errors += 1 }
            reconnect(i)
            return
        }
    }

    /// Takes one complete response off the buffer, if there is one.
    func parseOne(_ i: Int) -> Bool {
        let buf = UnsafeRawBufferPointer(start: conns[i].inBuffer.baseAddress, count: conns[i].inLength)
        guard buf.count >= 16, let headerEnd = findHeaderEnd(buf) else { return false }
        // "HTTP/1.1 200 "
        let status = Int(buf[9] &- 48) * 100 + Int(buf[10] &- 48) * 10 + Int(buf[11] &- 48)
        let contentLength = findContentLength(buf, headerEnd: headerEnd) ?? 0
        let total = headerEnd + contentLength
        guard total <= buf.count else { return false }
        let now = monotonicNanos()
        if plan.record && conns[i].busy {
            _ = result.latency.record(now &- conns[i].intended)
            _ = result.service.record(now &- conns[i].sent)
            if let window = plan.windowSeconds {
                let w = Int(Double(conns[i].intended &- start) / (window * 1e9))
                while result.windows.count <= w { result.windows.append(LoadResult.windowHistogram()) }
                _ = result.windows[w].record(now &- conns[i].intended)
            }
            statusCounts[min(max(status, 0), 599)] += 1
            result.completed += 1
            result.lastResponseBodyBytes = contentLength
        }
        let rest = buf.count - total
        if rest > 0 {
            memmove(conns[i].inBuffer.baseAddress!, conns[i].inBuffer.baseAddress! + total, rest)
        }
        conns[i].inLength = rest
        conns[i].busy = false
        if interval == 0 {
            if now < deadline { send(i, intended: now, now: now) }
        } else if conns[i].nextDue <= now && now < deadline {
            let due = conns[i].nextDue
            conns[i].nextDue += interval
            send(i, intended: due, now: now)
        }
        return rest > 0
    }

    func findHeaderEnd(_ b: UnsafeRawBufferPointer) -> Int? {
        var i = 3
        while i < b.count {
            if b[i] == 10 && b[i - 1] == 13 && b[i - 2] == 10 && b[i - 3] == 13 { return i + 1 }
            i += 1
        }
        return nil
    }

    func findContentLength(_ b: UnsafeRawBufferPointer, headerEnd: Int) -> Int? {
        let name = Array("content-length:".utf8)
        var i = 0
        while i + name.count < headerEnd {
            if b[i] == 10 {
                var match = true
                for k in 0..<name.count where (b[i + 1 + k] | 0x20) != name[k] && !(name[k] == 58 && b[i + 1 + k] == 58)
                {
                    match = false
                    break
                }
                if match {
                    var j = i + 1 + name.count
                    while b[j] == 32 { j += 1 }
                    var v = 0
                    while b[j] >= 48 && b[j] <= 57 {
                        v = v * 10 + Int(b[j] - 48)
                        j += 1
                    }
                    return v
                }
            }
            i += 1
        }
        return nil
    }
}
