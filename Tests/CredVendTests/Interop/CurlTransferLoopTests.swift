import CredVendSync
import Foundation
import Glibc
import Testing

@testable import CredVendCore
@testable import CredVendHTTP

/// Many transfers in flight on the loop's one thread, against a real server on loopback.
@Suite(.timeLimit(.minutes(1)))
struct CurlTransferLoopTests {
    /// Starts every request, then waits (on a thread of its own) for every answer.
    private func startAll(
        _ loop: CurlTransferLoop,
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

    @Test func manyTransfersAreInFlightAtOnceAndAnsweredOnTheLoopsThread() async throws {
        try await withServer { _, port, handler in
            let loop = try CurlTransferLoop(name: "test-curl-loop")
            defer { loop.stop() }
            let n = 40
            let held = (0..<n).map { _ in HTTPClientRequest(url: "http://127.0.0.1:\(port)/held", timeout: .seconds(20))
            }
            let (answers, threads, all) = startAll(loop, held)
            #expect(try await handler.slowArrivals.wait(for: n), "all \(n) reached the server before any answer")
            #expect(loop.inFlight == n)
            for _ in 0..<n { handler.heldGate.signal() }
            #expect(try await blocking { all.wait(timeout: .now() + 20) == .success })
            let bodies = answers.withLock { $0.values.map { try? String(decoding: $0.get().body, as: UTF8.self) } }
            #expect(bodies.count == n && bodies.allSatisfy { $0 == "held done" })
            #expect(threads.withLock { $0.count } == 1, "every answer on the loop's one thread")
            #expect(!threads.withLock { $0.contains(pthread_self()) })
            #expect(loop.inFlight == 0)
        }
    }

    @Test func aPostBodyAndHeadersGoOutAsGiven() async throws {
        try await withServer { _, port, _ in
            let loop = try CurlTransferLoop()
            defer { loop.stop() }
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

    @Test func aClosedPortAndATimeoutAreErrorsOfTheirKind() async throws {
        let closed = try await withServer { _, port, _ in port }
        try await withServer { _, port, _ in
            let loop = try CurlTransferLoop()
            defer { loop.stop() }
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

    @Test func stopAnswersWhatIsStillInFlightAndRefusesWhatComesAfter() async throws {
        try await withServer { _, port, handler in
            let loop = try CurlTransferLoop()
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
