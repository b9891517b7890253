import CEpoll
import CredVendSync
import Foundation
import Glibc
import Histogram

/// The fleet scenarios (`storm`, `steady`): `clients` distinct clients, each asking once for
/// credentials, arriving open loop as a seeded Poisson process over `duration` seconds.
/// Each arrival is one client as credvend's own clients behave: a new connection, one
/// request; on 503 with `Retry-After` it tries again after that many seconds plus up to
/// half as much again (jitter), on another 5xx or a failed connection after a capped
/// exponential backoff with jitter; any other answer but 200 ends it. The run ends when
/// every client has credentials or at `--max-seconds`.
struct Storm {
    let args: Args

    func run() throws {
        let clients = args.int("clients", 20_000)
        let duration = args.double("duration", 60)
        let maxSeconds = args.double("max-seconds", 300)
        let port = UInt16(args.int("port", 0))
        let pid = Int32(args.int("server-pid", 0))
        let label = args.string("label", "storm")
        let factory = try TokenFactory(keyPath: args.string("key"), issuer: args.string("issuer"))

        let mintStart = monotonicNanos()
        let requests = TokenFactory.mint(count: clients) { i in try factory.token(clientId: ClientIds.cold(i + 1)) }
            .map { token in
                var r = credentialRequest(port: port, token: token)
                // One request per connection, as a credential_process or a restarted daemon sends it.
                let head = Array("Accept: application/json\r\n".utf8)
                if let at = r.firstRange(of: head) {
                    r.insert(contentsOf: Array("Connection: close\r\n".utf8), at: at.lowerBound)
                }
                return r
            }
        note(
            String(format: "%@: %d tokens minted in %.1f s", label, clients, Double(monotonicNanos() - mintStart) / 1e9)
        )

        let stsBefore = args.values["sts-stats"].flatMap(STSStats.fetch)
        if let mark = args.values["mark"] {
            _ = FileManager.default.createFile(atPath: mark, contents: Data(String(duration).utf8))
        }
        let before = pid > 0 ? ProcSample.read(pid: pid) : nil
        let sampler = pid > 0 ? ServerSampler(pid: pid) : nil
        sampler?.start()
        let wallStart = wallSeconds()
        var random = SplitMix(seed: UInt64(args.int("seed", 16)))
        // Poisson arrivals: exponential gaps at clients/duration per second.
        var t = 0.0
        let arrivals = (0..<clients).map { _ in
            t += -log(1 - random.unit()) * duration / Double(clients)
            return UInt64(t * 1e9)
        }
        var fleet = Fleet(requests: requests, port: port, random: random)
        for (i, at) in arrivals.enumerated() { fleet.schedule(i, at: at) }
        fleet.run(maxNanos: UInt64(maxSeconds * 1e9))
        let series = sampler?.finish() ?? []
        let after = pid > 0 ? ProcSample.read(pid: pid) : nil
        let stsAfter = args.values["sts-stats"].flatMap(STSStats.fetch)

        let r = fleet.result
        let requestsSent = r.statuses.values.reduce(0, +) + r.connectErrors
        var summary = StormSummary(
            clients: clients,
            arrivalSeconds: duration,
            clientsWithCredentials: r.done,
            secondsUntilAll: r.done == clients ? r.lastSuccessSeconds : nil,
            secondsRun: r.elapsedSeconds,
            outcomes: r.outcomes,
            attempts: requestsSent,
            statuses: Dictionary(uniqueKeysWithValues: r.statuses.map { (String($0.key), $0.value) }),
            unavailableWithoutRetryAfter: r.unavailableWithoutRetryAfter,
            connectErrors: r.connectErrors,
            connectErrorKinds: r.connectErrorKinds,
            driverDescriptorWaits: r.descriptorWaits,
            timeline: r.timeline.enumerated().map {
                [
                    Double($0.offset), Double($0.element.sent),
                    Double($0.element.ok), Double($0.element.unavailable), Double($0.element.other),
                ]
            },
            serverPeakThreads: series.map { Int($0[1]) }.max(),
            serverSeries: series
        )
        if let b = stsBefore, let a = stsAfter {
            summary.stsCalls = a.calls - b.calls
            summary.stsThrottled = a.throttled - b.throttled
            let first = Int(wallStart)
            summary.stsTimeline = a.seconds.filter { $0[0] >= first }.map { row in
                let old = b.seconds.first { $0[0] == row[0] }
                return [Double(row[0] - first), Double(row[1] - (old?[1] ?? 0)), Double(row[2] - (old?[2] ?? 0))]
            }
        }
        let cpu =
            (before != nil && after != nil && requestsSent > 0)
            ? (after!.cpuSeconds - before!.cpuSeconds) * 1e6 : nil
        var phase = PhaseResult(
            scenario: args.string("scenario", "storm"),
            label: label,
            server: "credvend",
            sts: args.string("sts", "stub"),
            mode: String(format: "poisson %.0f/s", Double(clients) / duration),
            targetRate: Double(clients) / duration,
            connections: 0,
            threads: 1,
            seconds: r.elapsedSeconds,
            requests: requestsSent,
            requestsPerSecond: Double(requestsSent) / r.elapsedSeconds,
            latencyMicros: PhaseResult.percentiles(r.timeToCredentials),
            serviceMicros: PhaseResult.percentiles(r.attemptLatency),
            statuses: summary.statuses,
            errors: r.connectErrors,
            reconnects: 0,
            responseBodyBytes: r.lastBodyBytes,
            serverPeakRssMiB: after.map { Double($0.peakRssKiB) / 1024 },
            serverRssMiB: after.map { Double($0.rssKiB) / 1024 },
            serverCpuMicrosPerRequest: cpu.map { $0 / Double(requestsSent) }
        )
        summary.serverCpuMicrosPerClient = cpu.map { $0 / Double(max(1, r.done)) }
        phase.latencyCurveMicros = PhaseResult.curve(r.timeToCredentials)
        phase.storm = summary
        if let rate = args.values["sts-rate"] { phase.notes["sts_rate"] = rate }
        phase.notes["latency"] = "time to credentials: from a client's arrival to its 200, retries included"
        phase.notes["service"] = "one attempt: connect to answer"
        writeJSON(phase, to: args.string("out"))
        print(
            String(
                format:
                    "%@: %d of %d clients got credentials, all by %@ s; %d requests; p50 %.0f ms, p99 %.0f ms, p99.9 %.0f ms; statuses %@; STS calls %@ (throttled %@); peak threads %@",
                label,
                r.done,
                clients,
                summary.secondsUntilAll.map { String(format: "%.1f", $0) } ?? "-",
                requestsSent,
                (phase.latencyMicros["p50"] ?? 0) / 1000,
                (phase.latencyMicros["p99"] ?? 0) / 1000,
                (phase.latencyMicros["p99.9"] ?? 0) / 1000,
                "\(r.statuses)",
                summary.stsCalls.map(String.init) ?? "-",
                summary.stsThrottled.map(String.init) ?? "-",
                summary.serverPeakThreads.map(String.init) ?? "-"
            )
        )
    }
}

/// What a fleet run adds to its `PhaseResult`.
struct StormSummary: Codable {
    var clients: Int
    var arrivalSeconds: Double
    var clientsWithCredentials: Int
    /// From the first arrival until the last client had its credentials (nil: not all did).
    var secondsUntilAll: Double?
    var secondsRun: Double
    /// Per client: "200 first try", "200 after retries", "refused <status>", "unfinished".
    var outcomes: [String: Int]
    var attempts: Int
    var statuses: [String: Int]
    /// 503 answers that carried no `Retry-After` (the issue allows none).
    var unavailableWithoutRetryAfter: Int
    var connectErrors: Int
    /// The failed attempts by where they failed and the errno there (`connect: EADDRNOTAVAIL`,
    /// `answer: reset`, ...), so a refusal by the server is told apart from the driver's own limits.
    var connectErrorKinds: [String: Int]?
    /// Attempts the driver put off for want of a descriptor (its own limit, not counted as failures).
    var driverDescriptorWaits: Int?
    /// Per second since the start: [s, requests sent, 200, 503, other answers].
    var timeline: [[Double]]
    var serverPeakThreads: Int?
    /// Sampled every 250 ms: [s, threads, RSS MiB].
    var serverSeries: [[Double]]
    var stsCalls: Int?
    var stsThrottled: Int?
    /// Per second since the start: [s, AssumeRole calls, of them throttled].
    var stsTimeline: [[Double]]?
    var serverCpuMicrosPerClient: Double?
}

/// The stub's `GET /stats`.
struct STSStats: Decodable {
    var seconds: [[Int]]
    var calls: Int
    var throttled: Int

    static func fetch(_ url: String) -> STSStats? {
        runCapture("/usr/bin/curl", ["-s", "--max-time", "10", url]).flatMap {
            try? JSONDecoder().decode(STSStats.self, from: Data($0.utf8))
        }
    }
}

/// A seeded generator (SplitMix64): the same seed, the same arrivals and jitter.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }
}

/// Samples a process's thread count and RSS every 250 ms: rows of [s, threads, RSS MiB].
final class ServerSampler: @unchecked Sendable {
    private let pid: Int32
    private let rows = Locked<[[Double]]>([])
    private let stop = Locked(false)
    private var thread: Thread?

    init(pid: Int32) { self.pid = pid }

    func start() {
        let begin = monotonicNanos()
        let t = Thread { [self] in
            while !stop.withLock({ $0 }) {
                if let s = ProcSample.read(pid: pid) {
                    let at = Double(monotonicNanos() - begin) / 1e9
                    rows.withLock { $0.append([at, Double(s.threads), Double(s.rssKiB) / 1024]) }
                }
                usleep(250_000)
            }
        }
        thread = t
        t.start()
    }

    func finish() -> [[Double]] {
        stop.withLock { $0 = true }
        usleep(300_000)
        return rows.withLock { $0 }
    }
}

/// The clients' state and one epoll loop that runs them.
private struct Fleet {
    struct Client {
        var arrival: UInt64 = 0
        var attempts = 0
        var backoffs = 0
    }

    struct Attempt {
        var client: Int
        var fd: Int32
        var sent = false
        var started: UInt64
        var buffer: [UInt8] = []
    }

    struct Second {
        var sent = 0
        var ok = 0
        var unavailable = 0
        var other = 0
    }

    struct Result {
        var timeToCredentials = Histogram<UInt64>(
            lowestDiscernibleValue: 1,
            highestTrackableValue: 600_000_000_000,
            numberOfSignificantValueDigits: .three
        )
        var attemptLatency = Histogram<UInt64>(
            lowestDiscernibleValue: 1,
            highestTrackableValue: 600_000_000_000,
            numberOfSignificantValueDigits: .three
        )
        var statuses: [Int: Int] = [:]
        var outcomes: [String: Int] = [:]
        var timeline: [Second] = []
        var done = 0
        var connectErrors = 0
        var connectErrorKinds: [String: Int] = [:]
        /// Arrivals and retries put off until an attempt's descriptor closed (the driver had none free).
        var descriptorWaits = 0
        var unavailableWithoutRetryAfter = 0
        var lastSuccessSeconds = 0.0
        var elapsedSeconds = 0.0
        var lastBodyBytes = 0
    }

    let requests: [[UInt8]]
    let port: UInt16
    var random: SplitMix
    var clients: [Client]
    var heap = TimerHeap()
    var attempts: [Int32: Attempt] = [:]
    /// Clients that found no descriptor free, begun (in order) as attempts close theirs.
    var waitingForDescriptor: [Int] = []
    var nextWaiting = 0
    var result = Result()
    var start: UInt64 = 0
    var finished = 0
    let epfd = epoll_create1(Int32(EPOLL_CLOEXEC))

    init(requests: [[UInt8]], port: UInt16, random: SplitMix) {
        self.requests = requests
        self.port = port
        self.random = random
        clients = Array(repeating: Client(), count: requests.count)
    }

    mutating func schedule(_ client: Int, at offset: UInt64) {
        clients[client].arrival = offset
        heap.push(offset, client)
    }

    mutating func run(maxNanos: UInt64) {
        start = monotonicNanos()
        var events = [epoll_event](repeating: epoll_event(), count: 512)
        while finished < clients.count {
            let now = monotonicNanos() - start
            if now >= maxNanos { break }
            while let (due, client) = heap.peek(), due <= now {
                heap.pop()
                begin(client, now: now)
            }
            let wait = heap.peek().map { $0.0 > now ? $0.0 - now : 0 } ?? 100_000_000
            let n = events.withUnsafeMutableBufferPointer {
                cepoll_wait_ns(epfd, $0.baseAddress, Int32($0.count), Int64(min(wait, 100_000_000)))
            }
            if n < 0 { if errno == EINTR { continue } else { break } }
            for e in 0..<Int(n) { service(Int32(truncatingIfNeeded: events[e].data.u64)) }
        }
        result.elapsedSeconds = Double(monotonicNanos() - start) / 1e9
        if finished < clients.count { result.outcomes["unfinished"] = clients.count - finished }
        for (fd, _) in attempts { Glibc.close(fd) }
        Glibc.close(epfd)
    }

    private mutating func second(_ now: UInt64) -> Int {
        let s = Int(now / 1_000_000_000)
        while result.timeline.count <= s { result.timeline.append(Second()) }
        return s
    }

    private mutating func begin(_ client: Int, now: UInt64) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        if fd < 0 && (errno == EMFILE || errno == ENFILE) {
            // The driver's own descriptor limit, not the server: each simulated client is a
            // machine of its own, so it waits for the next descriptor closed (no attempt, no backoff).
            result.descriptorWaits += 1
            return waitingForDescriptor.append(client)
        }
        clients[client].attempts += 1
        result.timeline[second(now)].sent += 1
        guard fd >= 0 else { return retry(client, now: now, after: nil, failure: "socket: " + errnoName(errno)) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian  // 127.0.0.1 only
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 || errno == EINPROGRESS else {
            let failure = "connect: " + errnoName(errno)
            Glibc.close(fd)
            return retry(client, now: now, after: nil, failure: failure)
        }
        var ev = epoll_event()
        ev.events = EPOLLOUT.rawValue | EPOLLIN.rawValue
        ev.data.u64 = UInt64(UInt32(bitPattern: fd))
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)
        attempts[fd] = Attempt(client: client, fd: fd, started: now)
    }

    private mutating func service(_ fd: Int32) {
        guard var a = attempts[fd] else { return }
        if !a.sent {
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if err != 0 { return fail(fd, a, "connect: " + errnoName(err)) }
            let message = requests[a.client]
            let n = message.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EAGAIN { return }
            // A 2 KiB request fits any socket buffer.
            guard n == message.count else { return fail(fd, a, "send: " + (n < 0 ? errnoName(errno) : "short")) }
            a.sent = true
            var ev = epoll_event()
            ev.events = EPOLLIN.rawValue
            ev.data.u64 = UInt64(UInt32(bitPattern: fd))
            epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev)
        }
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                a.buffer.append(contentsOf: chunk[0..<n])
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                if let answer = HTTPAnswer.parse(a.buffer) { return finish(fd, a, answer) }
                attempts[fd] = a
                return
            }
            if n < 0 && errno == EINTR { continue }
            // Closed by the server: the answer is complete, or the attempt failed.
            if let answer = HTTPAnswer.parse(a.buffer) { return finish(fd, a, answer) }
            let how = n < 0 ? errnoName(errno) : "closed"
            return fail(fd, a, "answer: " + how + (a.buffer.isEmpty ? " before any byte" : " mid-answer"))
        }
    }

    private mutating func end(_ fd: Int32, _ a: Attempt) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nil)
        Glibc.close(fd)
        attempts[fd] = nil
        if nextWaiting < waitingForDescriptor.count {
            heap.push(monotonicNanos() - start, waitingForDescriptor[nextWaiting])
            nextWaiting += 1
            if nextWaiting == waitingForDescriptor.count {
                waitingForDescriptor.removeAll(keepingCapacity: true)
                nextWaiting = 0
            }
        }
    }

    private mutating func fail(_ fd: Int32, _ a: Attempt, _ failure: String) {
        end(fd, a)
        retry(a.client, now: monotonicNanos() - start, after: nil, failure: failure)
    }

    private mutating func finish(_ fd: Int32, _ a: Attempt, _ answer: HTTPAnswer) {
        end(fd, a)
        let now = monotonicNanos() - start
        _ = result.attemptLatency.record(max(1, now - a.started))
        result.statuses[answer.status, default: 0] += 1
        let s = second(now)
        switch answer.status {
        case 200:
            result.timeline[s].ok += 1
            _ = result.timeToCredentials.record(max(1, now - clients[a.client].arrival))
            result.outcomes[clients[a.client].attempts == 1 ? "200 first try" : "200 after retries", default: 0] += 1
            result.done += 1
            finished += 1
            result.lastSuccessSeconds = max(result.lastSuccessSeconds, Double(now) / 1e9)
            result.lastBodyBytes = answer.bodyBytes
        case 503:
            result.timeline[s].unavailable += 1
            if answer.retryAfter == nil { result.unavailableWithoutRetryAfter += 1 }
            retry(a.client, now: now, after: answer.retryAfter)
        case 500...599:
            result.timeline[s].other += 1
            retry(a.client, now: now, after: answer.retryAfter)
        default:
            result.timeline[s].other += 1
            result.outcomes["refused \(answer.status)", default: 0] += 1
            finished += 1
        }
    }

    /// Tries again: after `Retry-After` plus up to half as much again, or after a capped
    /// exponential backoff (0.25 s doubling to 8 s) with jitter.
    /// `failure`: the attempt failed before an answer (counted, by kind).
    private mutating func retry(_ client: Int, now: UInt64, after: Double?, failure: String? = nil) {
        if let failure {
            result.connectErrors += 1
            result.connectErrorKinds[failure, default: 0] += 1
        }
        let delay: Double
        if let after {
            delay = after * (1 + 0.5 * random.unit())
        } else {
            let k = min(clients[client].backoffs, 5)
            clients[client].backoffs += 1
            delay = 0.25 * Double(1 << k) * (0.5 + 0.5 * random.unit())
        }
        heap.push(now + UInt64(delay * 1e9), client)
    }
}

/// `ECONNRESET` for errno 104: the symbolic name where the driver knows it, else the number.
private func errnoName(_ code: Int32) -> String {
    let names: [Int32: String] = [
        EADDRNOTAVAIL: "EADDRNOTAVAIL", ECONNREFUSED: "ECONNREFUSED", ECONNRESET: "ECONNRESET",
        EMFILE: "EMFILE", ENFILE: "ENFILE", ETIMEDOUT: "ETIMEDOUT", EPIPE: "EPIPE", EAGAIN: "EAGAIN",
        ENOBUFS: "ENOBUFS",
    ]
    return names[code] ?? "errno \(code)"
}

/// What the fleet's clients read from an answer.
struct HTTPAnswer {
    var status: Int
    var retryAfter: Double?
    var bodyBytes: Int

    /// A complete answer in `b` (headers and Content-Length bytes of body), or nil.
    static func parse(_ b: [UInt8]) -> HTTPAnswer? {
        guard b.count >= 12, let end = b.firstRange(of: [13, 10, 13, 10]) else { return nil }
        let head = String(decoding: b[..<end.lowerBound], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let first = lines.first, first.count >= 12, let status = Int(first.dropFirst(9).prefix(3)) else {
            return nil
        }
        var length = 0
        var retryAfter: Double?
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { length = Int(value) ?? 0 }
            if name == "retry-after" { retryAfter = Double(value) }
        }
        guard b.count - end.upperBound >= length else { return nil }
        return HTTPAnswer(status: status, retryAfter: retryAfter, bodyBytes: length)
    }
}

/// A binary min-heap of (due time, client).
struct TimerHeap {
    private var items: [(UInt64, Int)] = []

    func peek() -> (UInt64, Int)? { items.first }

    mutating func push(_ due: UInt64, _ client: Int) {
        items.append((due, client))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].0 < items[parent].0 else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() {
        guard !items.isEmpty else { return }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var m = i
            if l < items.count && items[l].0 < items[m].0 { m = l }
            if r < items.count && items[r].0 < items[m].0 { m = r }
            if m == i { return }
            items.swapAt(i, m)
            i = m
        }
    }
}
