internal import CCurl
public import CredVendCore
import CredVendSync
import CredVendSystem
import Foundation
import Synchronization

/// Every transfer on one thread: a libcurl multi handle that runs all requests in flight at
/// once and calls each completion on that thread when its answer is in.
///
/// Why: with one blocking `curl_easy_perform` per thread, each STS call cost a thread hand-off
/// to start it, a sleep in `poll` for the answer and another hand-off back, on as many threads
/// as calls in flight; on a loaded machine those switches, and the allocator's arenas shared by
/// 32 threads, cost more CPU than the call itself. Here one `poll` wakes for every answer that
/// arrived, and a request started while the loop runs needs no wake-up. The multi handle keeps
/// the connections (keep-alive, TLS sessions) for every transfer.
public final class CurlTransferLoop: HTTPTransfers {
    private let core: CurlLoopCore

    /// `maxIdleHandles`: easy handles kept for reuse between transfers.
    public init(name: String = "credvend-curl", maxIdleHandles: Int = 64) throws(CurlError) {
        try CurlGlobal.ensureInitialized()
        core = try CurlLoopCore(maxIdleHandles: maxIdleHandles)
        let thread = Thread { [core] in core.run() }
        thread.name = name
        thread.start()
    }

    deinit { core.stop() }

    public func start(
        _ request: HTTPClientRequest,
        completion: @escaping @Sendable (Result<HTTPClientResponse, CurlError>) -> Void
    ) {
        core.submit(request, completion)
    }

    /// Ends every transfer still in flight with an error and stops the thread.
    public func stop() { core.stop() }

    /// Transfers started and not yet answered.
    public var inFlight: Int { core.inFlight.load(ordering: .relaxed) }
}

/// The loop's state. The multi handle, the easy handles and the epoll set's watches are
/// touched by the loop thread only; other threads hand requests over through `pending` and
/// wake the loop through the epoll set's eventfd.
///
/// libcurl's socket interface (`curl_multi_socket_action`), not `curl_multi_perform`: the
/// latter walks every transfer and `poll`s every socket on each wake-up, so with 32 calls in
/// flight each answer cost 32 times the work; here a wake-up touches the sockets that are ready.
/// @unchecked Sendable: everything but `pending`, `inFlight` and `poll.wake` is the loop thread's.
private final class CurlLoopCore: @unchecked Sendable {
    typealias Completion = @Sendable (Result<HTTPClientResponse, CurlError>) -> Void

    struct Pending {
        var requests: [(HTTPClientRequest, Completion)] = []
        /// Set by the loop just before it waits: only then does a new request need a wake-up.
        var sleeping = false
        var stopped = false
    }

    private struct Transfer {
        let easy: CurlEasy
        let completion: Completion
    }

    private let multi: UnsafeMutableRawPointer
    private let poll: EventPoll
    private let maxIdleHandles: Int
    private let pending = Locked(Pending())
    /// Transfers started and not yet answered: an atomic, not a lock, on every start and answer.
    let inFlight = Atomic(0)
    private let finished = DispatchSemaphore(value: 0)
    /// When libcurl wants `CURL_SOCKET_TIMEOUT` (monotonic ns); nil: no timer (loop thread only).
    private var timerDeadline: UInt64?

    init(maxIdleHandles: Int) throws(CurlError) {
        do throws(Errno) {
            poll = try EventPoll()
        } catch {
            throw CurlError(kind: .other, code: Int(error.code), message: "epoll: \(error)")
        }
        guard let multi = curl_multi_init() else {
            throw CurlError(kind: .other, code: 0, message: "curl_multi_init failed")
        }
        self.multi = multi
        self.maxIdleHandles = maxIdleHandles
        let me = Unmanaged.passUnretained(self).toOpaque()
        do throws(CurlError) {
            try check(CCurl_multi_socket_callback(multi, curlSocketChanged, me), "CURLMOPT_SOCKETFUNCTION")
            try check(CCurl_multi_timer_callback(multi, curlTimerChanged, me), "CURLMOPT_TIMERFUNCTION")
        } catch {
            _ = curl_multi_cleanup(multi)
            throw error
        }
    }

    func submit(_ request: HTTPClientRequest, _ completion: @escaping Completion) {
        inFlight.add(1, ordering: .relaxed)
        let (wake, refused) = pending.withLock { p -> (Bool, Bool) in
            if p.stopped { return (false, true) }
            p.requests.append((request, completion))
            defer { p.sleeping = false }
            return (p.sleeping, false)
        }
        if refused { return finish(completion, .failure(Self.stoppedError)) }
        if wake { poll.wake() }
    }

    /// Waits for the loop to end its transfers, unless called from a completion on the loop
    /// thread itself (which would wait for itself).
    func stop() {
        let first = pending.withLock { p -> Bool in
            defer { p.stopped = true }
            return !p.stopped
        }
        guard first else { return }
        poll.wake()
        if onLoopThread.value == nil { finished.wait() }
    }

    /// Set on the loop's own thread only.
    private let onLoopThread = ThreadLocal<LoopMarker>()
    private final class LoopMarker {}

    static let stoppedError = CurlError(kind: .other, code: 0, message: "the HTTP client is stopping")

    /// The longest wait without news.
    private static let idleMilliseconds: Int32 = 1000

    func run() {
        onLoopThread.value = LoopMarker()
        var transfers: [UnsafeMutableRawPointer: Transfer] = [:]
        var idle: [CurlEasy] = []
        while true {
            let (new, stopped) = pending.withLock { p -> ([(HTTPClientRequest, Completion)], Bool) in
                defer { p.requests.removeAll(keepingCapacity: true) }
                return (p.requests, p.stopped)
            }
            if stopped {
                for (_, completion) in new { finish(completion, .failure(Self.stoppedError)) }
                failAll(&transfers, Self.stoppedError)
                idle.removeAll()
                _ = curl_multi_cleanup(multi)
                finished.signal()
                return
            }
            for (request, completion) in new {
                do throws(CurlError) {
                    let easy: CurlEasy
                    if let reused = idle.popLast() { easy = reused } else { easy = try CurlEasy() }
                    try easy.prepare(request)
                    // Sets a timer of 0: the transfer starts at the timeout below.
                    try check(curl_multi_add_handle(multi, easy.handle), "curl_multi_add_handle")
                    transfers[easy.handle] = Transfer(easy: easy, completion: completion)
                } catch {
                    finish(completion, .failure(error))
                }
            }
            let sleep = pending.withLock { p -> Bool in
                guard p.requests.isEmpty, !p.stopped else { return false }
                p.sleeping = true
                return true
            }
            var failure: CURLMcode = CURLM_OK
            poll.wait(milliseconds: sleep ? waitMilliseconds() : 0) { fd, readiness in
                let code = act(on: fd, Self.curlEvents(readiness))
                if code != CURLM_OK && code != CURLM_BAD_SOCKET { failure = code }
            }
            if let deadline = timerDeadline, deadline <= Self.now() {
                timerDeadline = nil
                let code = act(on: CURL_SOCKET_TIMEOUT, 0)
                if code != CURLM_OK { failure = code }
            }
            if failure != CURLM_OK {
                // The multi handle itself failed: no transfer can go on.
                failAll(&transfers, multiError(failure, "curl_multi_socket_action"))
            }
            collectAnswers(&transfers, &idle)
        }
    }

    /// Ends every transfer in flight with `error`.
    private func failAll(_ transfers: inout [UnsafeMutableRawPointer: Transfer], _ error: CurlError) {
        for (handle, transfer) in transfers {
            _ = curl_multi_remove_handle(multi, handle)
            finish(transfer.completion, .failure(error))
        }
        transfers.removeAll()
    }

    private func act(on fd: Int32, _ events: Int32) -> CURLMcode {
        var running: Int32 = 0
        return curl_multi_socket_action(multi, fd, events, &running)
    }

    /// Until libcurl's timer is due, at most `idleMilliseconds`.
    private func waitMilliseconds() -> Int32 {
        guard let deadline = timerDeadline else { return Self.idleMilliseconds }
        let now = Self.now()
        guard deadline > now else { return 0 }
        // Rounded up, so the wait does not end just before the timer and spin.
        return Int32(min(UInt64(Self.idleMilliseconds), (deadline - now + 999_999) / 1_000_000))
    }

    private static func curlEvents(_ readiness: EventPoll.Readiness) -> Int32 {
        var events: Int32 = 0
        if readiness.contains(.readable) { events |= CURL_CSELECT_IN }
        if readiness.contains(.writable) { events |= CURL_CSELECT_OUT }
        if !readiness.isDisjoint(with: .failed) { events |= CURL_CSELECT_ERR }
        return events
    }

    /// CURLMOPT_SOCKETFUNCTION, on the loop thread: what libcurl wants to hear about `fd`.
    /// A watch the kernel refuses leaves that transfer to its own timeout.
    fileprivate func socketChanged(_ fd: Int32, _ what: Int32) {
        switch what {
        case CURL_POLL_REMOVE: poll.forget(fd)
        case CURL_POLL_IN: try? poll.watch(fd, for: .readable)
        case CURL_POLL_OUT: try? poll.watch(fd, for: .writable)
        case CURL_POLL_INOUT: try? poll.watch(fd, for: [.readable, .writable])
        default: break
        }
    }

    /// CURLMOPT_TIMERFUNCTION, on the loop thread: -1 deletes the timer.
    fileprivate func timerChanged(_ milliseconds: Int) {
        timerDeadline = milliseconds < 0 ? nil : Self.now() &+ UInt64(milliseconds) * 1_000_000
    }

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Hands every ended transfer its answer and keeps its handle for the next.
    private func collectAnswers(_ transfers: inout [UnsafeMutableRawPointer: Transfer], _ idle: inout [CurlEasy]) {
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                let transfer = transfers.removeValue(forKey: handle)
            else { continue }
            let code = message.pointee.data.result
            _ = curl_multi_remove_handle(multi, handle)
            let result: Result<HTTPClientResponse, CurlError>
            do throws(CurlError) {
                result = .success(try transfer.easy.finish(code))
            } catch {
                result = .failure(error)
            }
            if idle.count < maxIdleHandles { idle.append(transfer.easy) }
            finish(transfer.completion, result)
        }
    }

    private func finish(_ completion: Completion, _ result: Result<HTTPClientResponse, CurlError>) {
        inFlight.subtract(1, ordering: .relaxed)
        completion(result)
    }

    private func check(_ code: CURLMcode, _ what: String) throws(CurlError) {
        guard code == CURLM_OK else { throw multiError(code, what) }
    }

    private func multiError(_ code: CURLMcode, _ what: String) -> CurlError {
        CurlError(
            kind: .other,
            code: Int(code.rawValue),
            message: "\(what): \(String(cString: curl_multi_strerror(code)))"
        )
    }
}

private func curlSocketChanged(
    _ easy: UnsafeMutableRawPointer?,
    _ fd: curl_socket_t,
    _ what: Int32,
    _ context: UnsafeMutableRawPointer?,
    _ socketContext: UnsafeMutableRawPointer?
) -> Int32 {
    guard let context else { return -1 }
    Unmanaged<CurlLoopCore>.fromOpaque(context).takeUnretainedValue().socketChanged(fd, what)
    return 0
}

private func curlTimerChanged(
    _ multi: UnsafeMutableRawPointer?,
    _ milliseconds: Int,
    _ context: UnsafeMutableRawPointer?
)
    -> Int32
{
    guard let context else { return -1 }
    Unmanaged<CurlLoopCore>.fromOpaque(context).takeUnretainedValue().timerChanged(milliseconds)
    return 0
}
