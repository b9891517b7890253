internal import CCurl
public import CredVendCore
import CredVendSync
import CredVendSystem
import Foundation

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
    public var inFlight: Int { core.inFlight.withLock { $0 } }
}

/// The loop's state. The multi handle and the easy handles are touched by the loop thread
/// only; other threads hand requests over through `pending` and wake the loop with
/// `curl_multi_wakeup`, which libcurl allows from any thread.
/// @unchecked Sendable: `multi` is used by the loop thread alone but for `curl_multi_wakeup`.
private final class CurlLoopCore: @unchecked Sendable {
    typealias Completion = @Sendable (Result<HTTPClientResponse, CurlError>) -> Void

    struct Pending {
        var requests: [(HTTPClientRequest, Completion)] = []
        /// Set by the loop just before it polls: only then does a new request need a wake-up.
        var sleeping = false
        var stopped = false
    }

    private struct Transfer {
        let easy: CurlEasy
        let completion: Completion
    }

    private let multi: UnsafeMutableRawPointer
    private let maxIdleHandles: Int
    private let pending = Locked(Pending())
    let inFlight = Locked(0)
    private let finished = DispatchSemaphore(value: 0)

    init(maxIdleHandles: Int) throws(CurlError) {
        guard let multi = curl_multi_init() else {
            throw CurlError(kind: .other, code: 0, message: "curl_multi_init failed")
        }
        self.multi = multi
        self.maxIdleHandles = maxIdleHandles
    }

    func submit(_ request: HTTPClientRequest, _ completion: @escaping Completion) {
        inFlight.withLock { $0 += 1 }
        let (wake, refused) = pending.withLock { p -> (Bool, Bool) in
            if p.stopped { return (false, true) }
            p.requests.append((request, completion))
            defer { p.sleeping = false }
            return (p.sleeping, false)
        }
        if refused { return finish(completion, .failure(Self.stoppedError)) }
        if wake { wakeUp() }
    }

    /// Waits for the loop to end its transfers, unless called from a completion on the loop
    /// thread itself (which would wait for itself).
    func stop() {
        let first = pending.withLock { p -> Bool in
            defer { p.stopped = true }
            return !p.stopped
        }
        guard first else { return }
        wakeUp()
        if onLoopThread.value == nil { finished.wait() }
    }

    /// Set on the loop's own thread only.
    private let onLoopThread = ThreadLocal<LoopMarker>()
    private final class LoopMarker {}

    static let stoppedError = CurlError(kind: .other, code: 0, message: "the HTTP client is stopping")

    private func wakeUp() {
        // A failed wake-up leaves the loop to its poll timeout (at most `pollMilliseconds`).
        _ = curl_multi_wakeup(multi)
    }

    /// The longest nap without news; libcurl shortens it to its own next timeout.
    private static let pollMilliseconds: Int32 = 1000

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
                for (handle, transfer) in transfers {
                    _ = curl_multi_remove_handle(multi, handle)
                    finish(transfer.completion, .failure(Self.stoppedError))
                }
                transfers.removeAll()
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
                    try check(curl_multi_add_handle(multi, easy.handle), "curl_multi_add_handle")
                    transfers[easy.handle] = Transfer(easy: easy, completion: completion)
                } catch {
                    finish(completion, .failure(error))
                }
            }
            var running: Int32 = 0
            let performed = curl_multi_perform(multi, &running)
            if performed != CURLM_OK {
                // The multi handle itself failed: no transfer can go on.
                let error = multiError(performed, "curl_multi_perform")
                for (handle, transfer) in transfers {
                    _ = curl_multi_remove_handle(multi, handle)
                    finish(transfer.completion, .failure(error))
                }
                transfers.removeAll()
            }
            collectAnswers(&transfers, &idle)
            let sleep = pending.withLock { p -> Bool in
                guard p.requests.isEmpty, !p.stopped else { return false }
                p.sleeping = true
                return true
            }
            if sleep {
                var ready: Int32 = 0
                _ = curl_multi_poll(multi, nil, 0, Self.pollMilliseconds, &ready)
            }
        }
    }

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
        inFlight.withLock { $0 -= 1 }
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
