import Foundation
import Glibc
import Synchronization
import Testing

@testable import CredVendCore
@testable import CredVendHTTP
@testable import CredVendSync

@Suite struct ConnectionLimitsTests {
    @Test func countsRefuseAtTheGlobalAndPerAddressLimits() {
        var counts = ConnectionCounts<String>(limit: 5, perAddressLimit: 2)
        #expect(counts.refusal(for: "a") == nil)
        counts.opened("a")
        counts.opened("a")
        #expect(counts.refusal(for: "a") == .perAddress)
        #expect(counts.refusal(for: "b") == nil)
        counts.opened("b")
        counts.opened(nil)  // a Unix socket peer: counted in all only
        counts.opened(nil)
        #expect(counts.total == 5)
        #expect(counts.refusal(for: "c") == .limit)
        #expect(counts.refusal(for: nil) == .limit)
        counts.closed("a")
        #expect(counts.count(for: "a") == 1)
        #expect(counts.refusal(for: "a") == nil)
        counts.closed("a")
        counts.closed("b")
        #expect(counts.addresses == 0)  // no entry left behind per address
        #expect(counts.total == 2)
    }

    @Test func zeroMeansNoLimitPerAddress() {
        var counts = ConnectionCounts<String>(limit: 100, perAddressLimit: 0)
        for _ in 0..<99 { counts.opened("a") }
        #expect(counts.refusal(for: "a") == nil)
        counts.opened("a")
        #expect(counts.refusal(for: "a") == .limit)
    }

    @Test func closingMoreThanOpenedStaysAtZero() {
        var counts = ConnectionCounts<String>(limit: 1, perAddressLimit: 1)
        counts.closed("a")
        counts.closed(nil)
        #expect(counts.total == 0)
        #expect(counts.refusal(for: "a") == nil)
    }

    @Test func budgetLeavesDescriptorsForTheRestOfTheProcess() {
        #expect(ConnectionBudget.defaultLimit(openFileLimit: 1024, otherConnections: 0) == 896)
        #expect(ConnectionBudget.defaultLimit(openFileLimit: 1000, otherConnections: 64) == 808)
        #expect(
            ConnectionBudget.defaultLimit(openFileLimit: 1_048_576, otherConnections: 0)
                == ConnectionBudget.defaultCeiling
        )
        #expect(
            ConnectionBudget.defaultLimit(openFileLimit: nil, otherConnections: 0) == ConnectionBudget.defaultCeiling
        )
        #expect(ConnectionBudget.defaultLimit(openFileLimit: 100, otherConnections: 0) == 1)
        #expect(ConnectionBudget.maximum(openFileLimit: 1_048_576, otherConnections: 64) == 1_048_576 - 128 - 64)
        #expect(ConnectionBudget.maximum(openFileLimit: nil, otherConnections: 0) == Int(Int32.max))
    }

    @Test func peerKeysFoldIPv4MappedIPv6() throws {
        func v4(_ text: String) -> PeerKey? {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            _ = inet_pton(AF_INET, text, &a.sin_addr)
            return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { PeerKey($0) } }
        }
        func v6(_ text: String) -> PeerKey? {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            _ = inet_pton(AF_INET6, text, &a.sin6_addr)
            return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { PeerKey($0) } }
        }
        #expect(v4("127.0.0.1") != nil)
        #expect(v4("127.0.0.1") == v6("::ffff:127.0.0.1"))
        #expect(v4("127.0.0.1") != v4("127.0.0.2"))
        #expect(v6("2001:db8::1") != v6("2001:db8::2"))
        #expect(v6("2001:db8::1") != v4("0.0.0.1"))
        var unix = sockaddr_un()
        unix.sun_family = sa_family_t(AF_UNIX)
        let none = withUnsafePointer(to: &unix) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { PeerKey($0) } }
        #expect(none == nil)
        #expect(PeerKey(nil) == nil)
    }

    @Test func guardAdmitsCountsAndExpiresPastTheDeadline() {
        let observer = RecordingObserver()
        let guard_ = ConnectionGuard(limit: 3, perAddressLimit: 1, deadlineSeconds: 2, observer: observer)
        let a = PeerKey(high: 0, low: 1)
        let b = PeerKey(high: 0, low: 2)
        #expect(guard_.admit(a))
        let first = guard_.opened(fd: -1, key: a)
        #expect(!guard_.admit(a))
        #expect(guard_.admit(b))
        let start = first.requestStart.load(ordering: .relaxed)
        #expect(!guard_.expire(first, now: start + 1_999_000_000))
        #expect(guard_.expire(first, now: start + 2_001_000_000))
        #expect(guard_.expire(first, now: start + 3_000_000_000))  // still overdue, counted once
        // From dispatch to the end of its response the deadline does not run; then it restarts.
        let second = guard_.opened(fd: -1, key: b)
        guard_.dispatched(second)
        #expect(!guard_.expire(second, now: start + 60_000_000_000))
        guard_.completed(second)
        #expect(!guard_.expire(second, now: second.requestStart.load(ordering: .relaxed) + 1_000_000_000))
        // A sweeper whose clock was read before the response completed sees no time elapsed.
        #expect(!guard_.expire(second, now: second.requestStart.load(ordering: .relaxed) - 1))
        #expect(guard_.openConnections == 2)
        guard_.closed(first)
        guard_.closed(first)  // a second CLOSED for one record changes nothing
        #expect(guard_.openConnections == 1)
        #expect(guard_.admit(a))
        #expect(observer.refusals == [.perAddress, .deadline])
        // One that never sent a byte is counted as idle.
        let silent = guard_.opened(fd: -1, key: nil)
        #expect(
            guard_.expire(
                silent,
                now: silent.requestStart.load(ordering: .relaxed) + 2_500_000_000,
                idleSince: { $0 > 2_000_000_000 }
            )
        )
        #expect(observer.refusals == [.perAddress, .deadline, .idle])
    }

    @Test func aRequestIsLateAtHalfItsDeadlineAndToldToComeBackAboutAsLongAgain() {
        let observer = RecordingObserver()
        let guard_ = ConnectionGuard(limit: 10, perAddressLimit: 0, deadlineSeconds: 10, observer: observer)
        let record = guard_.opened(fd: -1, key: nil)
        let start = record.requestStart.load(ordering: .relaxed)
        #expect(guard_.lateNanos == 5_000_000_000)
        #expect(!guard_.isLate(record, now: start + 4_900_000_000))
        #expect(guard_.isLate(record, now: start + 5_100_000_000))
        #expect(!guard_.isLate(record, now: start - 1))  // a clock read before the start: not late
        #expect(!guard_.expire(record, now: start + 5_100_000_000))  // late is not past the deadline
        #expect(observer.refusals.isEmpty)
        #expect(ConnectionGuard.retryAfter(waitedNanos: 6_000_000_000, unitRandom: 0) == 6)
        #expect(ConnectionGuard.retryAfter(waitedNanos: 6_000_000_000, unitRandom: 0.999) == 12)
        #expect(ConnectionGuard.retryAfter(waitedNanos: 200_000_000, unitRandom: 0) == 1)
        #expect(ConnectionGuard.retryAfter(waitedNanos: 120_000_000_000, unitRandom: 0.5) == 60)
    }

    /// Through the server: its one worker is busy in a handler for 7 s while a kept-alive
    /// client's next request sits whole in its socket, past half the 10 s deadline. That
    /// request is answered 503 with a Retry-After of about its wait, and counted `behind`,
    /// not closed unanswered at the deadline.
    @Test func aRequestLeftUnreadWhileTheWorkersAreBusyIsAnswered503WithRetryAfter() async throws {
        let observer = RecordingObserver()
        let handler = BusyHandler()
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(
                listen: .tcp(host: "127.0.0.1", port: 0),
                threadPoolSize: 1,
                requestDeadlineSeconds: 10,
                observer: observer
            ),
            handler: handler
        )
        try server.start()
        let port = server.boundPort ?? 0
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (first, go, second) = (dir.file("first"), dir.file("go"), dir.file("second"))
        let script = """
            import os, socket, sys, time
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
            def ask(path):
                s.sendall(b"GET " + path + b" HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n")
                data = b""
                while b"\\r\\n\\r\\n" not in data:
                    chunk = s.recv(4096)
                    if not chunk: break
                    data += chunk
                return data.partition(b"\\r\\n\\r\\n")[0].decode()
            open(sys.argv[2], "w").write(ask(b"/first"))
            while not os.path.exists(sys.argv[3]): time.sleep(0.01)
            open(sys.argv[4], "w").write(ask(b"/second"))
            """
        let client = try BackgroundProcess(python: script, [String(port), first, go, second])
        defer { client.stop() }
        let busyStatus = Locked<Int?>(nil)
        do {
            // Plain threads from the first answer to `go`: the sequence must not wait for this
            // test's task to be scheduled again (the parallel suites keep the pool busy).
            let firstHead = try await blocking { () -> String? in
                guard let head = waitForFile(first) else { return nil }
                Thread.detachNewThread {
                    let status = try? CurlHTTPClient().send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/busy"))
                        .status
                    busyStatus.withLock { $0 = status }
                }
                guard waitUntil(timeout: 10, { handler.busyArrivals.value >= 1 }) else { return nil }
                _ = FileManager.default.createFile(atPath: go, contents: Data())
                return head
            }
            #expect(firstHead?.hasPrefix("HTTP/1.1 200") == true)
            let head = try await blocking { waitForFile(second, timeout: 20) } ?? ""
            #expect(head.hasPrefix("HTTP/1.1 503"), "\(head)")
            let retryAfter = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("retry-after:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
            #expect(retryAfter.map { (5...15).contains($0) } == true, "\(head)")  // waited 5-7 s, then x [1, 2)
            #expect(try await blocking { waitUntil(timeout: 15) { busyStatus.withLock { $0 } != nil } })
            #expect(busyStatus.withLock { $0 } == 200)
            #expect(observer.refusals == [.behind])
            await server.stop(gracePeriod: .seconds(2))
        } catch {
            await server.stop(gracePeriod: .zero)
            throw error
        }
    }

    @Test func sweepShutsDownOverdueSocketsOnly() throws {
        var overdue: [Int32] = [0, 0]
        var fresh: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &overdue) == 0)
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fresh) == 0)
        defer { for fd in overdue + fresh { close(fd) } }
        let observer = RecordingObserver()
        let guard_ = ConnectionGuard(limit: 10, perAddressLimit: 0, deadlineSeconds: 1, observer: observer)
        let old = guard_.opened(fd: overdue[0], key: nil)
        let start = old.requestStart.load(ordering: .relaxed)
        let young = guard_.opened(fd: fresh[0], key: nil)
        young.requestStart.store(start + 1_000_000_000, ordering: .relaxed)  // began 0.5 s before the sweep
        guard_.sweep(now: start + 1_500_000_000)
        var byte: UInt8 = 0
        #expect(recv(overdue[1], &byte, 1, Int32(MSG_DONTWAIT)) == 0)  // end of stream: shut down
        #expect(recv(fresh[1], &byte, 1, Int32(MSG_DONTWAIT)) == -1 && errno == EAGAIN)  // untouched
        guard_.sweep(now: start + 1_600_000_000)
        #expect(observer.refusals == [.deadline])
    }
}

private final class RecordingObserver: HTTPServerObserver {
    private let seen = Locked<[ConnectionRefusal]>([])
    let malformed = Atomic(0)
    var refusals: [ConnectionRefusal] { seen.withLock { $0 } }
    func connectionRefused(_ reason: ConnectionRefusal) { seen.withLock { $0.append(reason) } }
    func malformedRequest() { malformed.add(1, ordering: .relaxed) }
}

/// `/busy` holds the server's worker for 7 s (a synchronous handler); anything else is 200.
private struct BusyHandler: HTTPHandler {
    let busyArrivals = Arrivals()

    func handle(_ request: HTTPRequest) -> HandlerResult {
        guard request.path == "/busy" else { return .respond(.text("ok")) }
        busyArrivals.arrive()
        Thread.sleep(forTimeInterval: 7)
        return .respond(.text("done"))
    }
}
