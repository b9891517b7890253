public import CredVendCore
import CredVendSystem
import Synchronization

/// HTTP client transfers carried by an `HTTPServer`'s own worker threads: one libcurl multi
/// handle per worker, its sockets in the same epoll set as that worker's connections.
///
/// Why: with the transfers on a thread of their own (`CurlTransferLoop`), a request that
/// needed an STS call woke four threads in turn (its worker for the request, the curl thread
/// for the call, the curl thread for the answer, the worker to send the response), and with
/// STS taking 30 ms nothing batched those wake-ups: they cost more CPU than the request's own
/// work. Here a call started while a worker handles a request joins that worker's loop with
/// no hand-off, and its answer wakes that worker, which sends the response: two wake-ups.
///
/// A transfer started on any other thread (the STS pool starting a queued call elsewhere)
/// goes to the workers in turn, through the loop's eventfd. Give one of these to exactly one
/// server, with as many `workers` as its `threadPoolSize`; transfers started before it runs
/// wait for it, and end with an error once it has stopped.
public final class WorkerTransfers: HTTPTransfers {
    let cores: [CurlLoopCore]
    private let turn = Atomic(0)

    /// The core the current thread drives, set by the server's worker threads.
    static let onWorker = ThreadLocal<CurlLoopCore>()

    /// `maxIdleHandles`: easy handles each worker keeps for reuse between transfers.
    public init(workers: Int, maxIdleHandles: Int = 16) throws(CurlError) {
        try CurlGlobal.ensureInitialized()
        var cores: [CurlLoopCore] = []
        for _ in 0..<max(1, workers) { cores.append(try CurlLoopCore(maxIdleHandles: maxIdleHandles)) }
        self.cores = cores
    }

    deinit { stop() }

    public var workers: Int { cores.count }

    public func start(
        _ request: HTTPClientRequest,
        completion: @escaping @Sendable (Result<HTTPClientResponse, CurlError>) -> Void
    ) {
        if let mine = Self.onWorker.value, cores.contains(where: { $0 === mine }) {
            return mine.submit(request, completion)
        }
        let index = turn.wrappingAdd(1, ordering: .relaxed).oldValue
        cores[Int(UInt(bitPattern: index) % UInt(cores.count))].submit(request, completion)
    }

    /// Ends every transfer still in flight with an error; later ones fail at once.
    public func stop() { for core in cores { core.stop() } }

    /// Transfers started and not yet answered.
    public var inFlight: Int { cores.reduce(0) { $0 + $1.inFlight.load(ordering: .relaxed) } }
}
