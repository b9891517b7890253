public import CredVendCore
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
        startThread(named: name) { [core] in core.run() }
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
