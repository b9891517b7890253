import CredVendSync
import Foundation
import Glibc
import Testing

@testable import CredVendCore
@testable import CredVendHTTP

/// HTTP client transfers on an `HTTPServer`'s worker threads, against real servers on loopback.
@Suite(.timeLimit(.minutes(1)))
struct WorkerTransfersTests {
    /// A server of `threads` workers carrying `transfers` (its own handler echoes), so the
    /// transfers' loops run while `body` does.
    private func withWorkers<T>(
        threads: Int = 1,
        _ body: (WorkerTransfers) async throws -> T
    ) async throws -> T {
        let transfers = try WorkerTransfers(workers: threads)
        defer { transfers.stop() }
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(listen: .tcp(host: "127.0.0.1", port: 0), threadPoolSize: threads),
            handler: EchoHandler(),
            transfers: transfers
        )
        try server.start()
        defer { server.stop(gracePeriod: .zero) }
        return try await body(transfers)
    }

    /// Starts every request, then waits (on a thread of its own) for every answer.
    private func startAll(
        _ loop: WorkerTransfers,
        _ requests: [HTTPClientRequest]
    ) -> (
        answers: Locked<[Int: Result<HTTPClientResponse, CurlError>]>, threads: Locked<Set<pthread_t>>,
        all: DispatchSemaphore
    ) {
        let answers = Locked<[Int: Result<HTTPClientResponse, CurlError>]>([:])
        let threads = Locked<Set<pthread_t>>([])
        let all = DispatchSemaphore(value: 0)
        for (i, request) in requests.enumerated() {
            loop.start(request) { result in
                threads.withLock { _ = $0.insert(pthread_self()) }
                let count = answers.withLock { a in
                    a[i] = result
                    return a.count
                }
                if count == requests.count { all.signal() }
            }
        }
        return (answers, threads, all)
    }

    private func failure(_ result: Result<HTTPClientResponse, CurlError>?) -> CurlError? {
        guard case .failure(let error)? = result else { return nil }
        return error
    }

    @Test func manyTransfersAreInFlightAtOnceAndAnsweredOnTheWorkersThread() async throws {
        try await withServer { _, port, handler in
            try await withWorkers { loop async throws in
                let n = 40
                let held = (0..<n).map { _ in
                    HTTPClientRequest(url: "http://127.0.0.1:\(port)/held", timeout: .seconds(20))
                }
                let (answers, threads, all) = startAll(loop, held)
                #expect(try await handler.slowArrivals.wait(for: n), "all \(n) reached the server before any answer")
                #expect(loop.inFlight == n)
                for _ in 0..<n { handler.heldGate.signal() }
                #expect(try await blocking { all.wait(timeout: .now() + 20) == .success })
                let bodies = answers.withLock { $0.values.map { try? String(decoding: $0.get().body, as: UTF8.self) } }
                #expect(bodies.count == n && bodies.allSatisfy { $0 == "held done" })
                #expect(threads.withLock { $0.count } == 1, "every answer on the one worker's thread")
                #expect(!threads.withLock { $0.contains(pthread_self()) })
                #expect(loop.inFlight == 0)
            }
        }
    }

    @Test func aPostBodyAndHeadersGoOutAsGiven() async throws {
        try await withServer { _, port, _ in
            try await withWorkers(threads: 2) { loop async throws in
                let request = HTTPClientRequest(
                    method: "POST",
                    url: "http://127.0.0.1:\(port)/echo",
                    headers: [("X-Test", "a value")],
                    body: Array("Action=AssumeRole".utf8)
                )
                let (answers, _, all) = startAll(loop, [request, request])
                #expect(try await blocking { all.wait(timeout: .now() + 10) == .success })
                for result in answers.withLock({ Array($0.values) }) {
                    let response = try result.get()
                    #expect(response.status == 200)
                    #expect(String(decoding: response.body, as: UTF8.self) == "Action=AssumeRole")
                    #expect(response.headers["x-echo-test"] == "[a value]")
                    #expect(response.headers["x-echo-method"] == "POST")
                }
            }
        }
    }

    @Test func aClosedPortAndATimeoutAreErrorsOfTheirKind() async throws {
        let closed = try await withServer { _, port, _ in port }
        try await withServer { _, port, _ in
            try await withWorkers { loop async throws in
                let (answers, _, all) = startAll(
                    loop,
                    [
                        HTTPClientRequest(url: "http://127.0.0.1:\(closed)/"),
                        HTTPClientRequest(url: "http://127.0.0.1:\(port)/slow?ms=3000", timeout: .milliseconds(300)),
                        HTTPClientRequest(url: "http://127.0.0.1:\(port)/fine"),
                    ]
                )
                #expect(try await blocking { all.wait(timeout: .now() + 10) == .success })
                let results = answers.withLock { $0 }
                #expect(failure(results[0])?.kind == .couldNotConnect)
                #expect(failure(results[1])?.kind == .timeout)
                #expect((try? results[2]?.get().status) == 200, "the others' failures do not touch it")
            }
        }
    }

    @Test func stopAnswersWhatIsStillInFlightAndRefusesWhatComesAfter() async throws {
        try await withServer { _, port, handler in
            try await withWorkers { loop async throws in
                let (answers, _, all) = startAll(
                    loop,
                    [HTTPClientRequest(url: "http://127.0.0.1:\(port)/held", timeout: .seconds(20))]
                )
                #expect(try await handler.slowArrivals.wait(for: 1))
                loop.stop()
                #expect(all.wait(timeout: .now() + 5) == .success)
                let stopped = answers.withLock { $0[0] }
                #expect(failure(stopped)?.message == "the HTTP client is stopping")
                let after = Locked<CurlError?>(nil)
                loop.start(HTTPClientRequest(url: "http://127.0.0.1:\(port)/")) { r in
                    if case .failure(let e) = r { after.withLock { $0 = e } }
                }
                #expect(after.withLock { $0?.message } == "the HTTP client is stopping", "answered at once, not lost")
                handler.heldGate.signal()
            }
        }
    }

    @Test func aCallStartedWhileAWorkerHandlesARequestIsAnsweredOnThatWorker() async throws {
        try await withServer { _, backend, _ in
            let transfers = try WorkerTransfers(workers: 2)
            defer { transfers.stop() }
            let relay = RelayHandler(transfers: transfers, backend: backend)
            try await withServer(relay, threads: 2, transfers: transfers) { _, port in
                let client = CurlHTTPClient()
                for i in 0..<6 {
                    let response = try await fetch(client, HTTPClientRequest(url: "http://127.0.0.1:\(port)/?n=\(i)"))
                    #expect(response.status == 200)
                    #expect(String(decoding: response.body, as: UTF8.self) == "relayed n=\(i)")
                }
            }
            let seen = relay.threads.withLock { $0 }
            #expect(seen.count == 6)
            #expect(seen.allSatisfy { $0.handled == $0.answered }, "no hand-off to another thread: \(seen)")
            #expect(transfers.inFlight == 0)
        }
    }

    @Test func aTransferStartedBeforeTheServerRunsWaitsForItAndOneAfterItStopsFailsAtOnce() async throws {
        try await withServer { _, backend, _ in
            let transfers = try WorkerTransfers(workers: 1)
            defer { transfers.stop() }
            let (answers, _, all) = startAll(transfers, [HTTPClientRequest(url: "http://127.0.0.1:\(backend)/early")])
            #expect(all.wait(timeout: .now() + 0.3) == .timedOut, "no loop runs it before the server starts")
            let server = HTTPServer(
                configuration: HTTPServerConfiguration(listen: .tcp(host: "127.0.0.1", port: 0), threadPoolSize: 1),
                handler: EchoHandler(),
                transfers: transfers
            )
            try server.start()
            #expect(try await blocking { all.wait(timeout: .now() + 10) == .success })
            let early = answers.withLock { $0[0] }
            #expect((try? early?.get())?.headers["x-echo-path"] == "/early")
            await server.stop(gracePeriod: .zero)
            let after = Locked<CurlError?>(nil)
            transfers.start(HTTPClientRequest(url: "http://127.0.0.1:\(backend)/late")) { result in
                if case .failure(let e) = result { after.withLock { $0 = e } }
            }
            #expect(after.withLock { $0?.message } == "the HTTP client is stopping")
        }
    }

    @Test func aServerRefusesTransfersForAnotherNumberOfWorkers() throws {
        let transfers = try WorkerTransfers(workers: 3)
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(listen: .tcp(host: "127.0.0.1", port: 0), threadPoolSize: 2),
            handler: EchoHandler(),
            transfers: transfers
        )
        #expect(throws: HTTPServerError(.invalidConfiguration, "")) { try server.start() }
    }
}

/// Answers each request with what `backend` answered to a call started while handling it,
/// and records the thread that handled the request and the one the call's answer came on.
private final class RelayHandler: HTTPHandler, Sendable {
    let transfers: WorkerTransfers
    let backend: Int
    let threads = Locked<[(handled: pthread_t, answered: pthread_t)]>([])

    init(transfers: WorkerTransfers, backend: Int) {
        self.transfers = transfers
        self.backend = backend
    }

    func handle(_ request: HTTPRequest) -> HandlerResult {
        let handled = pthread_self()
        let call = HTTPClientRequest(url: "http://127.0.0.1:\(backend)/?\(request.queryString)")
        return .deferred { [self] responder in
            transfers.start(call) { [self] result in
                threads.withLock { $0.append((handled, pthread_self())) }
                let query = (try? result.get().headers["x-echo-query"]) ?? "failed"
                responder.respond(.text("relayed \(query)"))
            }
        }
    }
}
