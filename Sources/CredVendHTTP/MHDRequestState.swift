import CredVendCore
import CredVendSync
// Per-daemon and per-request bookkeeping for MHD.swift. No C calls here: the connection
// pointer is only stored, and used by MHD.swift alone.
import Foundation
import Synchronization

/// State shared by all callbacks of one daemon (their closure pointer).
final class ServerCore: Sendable {
    let handler: any HTTPHandler
    let maxBodyBytes: Int
    let connections: ConnectionGuard
    /// HTTPS: the certificate, key and client CAs new connections get; nil for plain HTTP.
    let tls: TLSMaterialStore?
    /// Set when stop begins: responses then carry `Connection: close`.
    let draining = Atomic(false)
    /// Requests started and not yet completed: atomic, so the request path takes no
    /// lock shared by all workers (only deferred requests touch `books`).
    private let inFlight = Atomic<Int>(0)
    private let books = Locked(Books())

    struct Books {
        var parked: [ObjectIdentifier: RequestContext] = [:]
        var closed = false
    }

    init(handler: any HTTPHandler, maxBodyBytes: Int, connections: ConnectionGuard, tls: TLSMaterialStore?) {
        self.handler = handler
        self.maxBodyBytes = maxBodyBytes
        self.connections = connections
        self.tls = tls
    }

    func requestStarted() { inFlight.add(1, ordering: .relaxed) }

    func requestFinished(_ request: RequestContext) {
        if let record = request.record { connections.completed(record) }
        if request.wasParked.load(ordering: .acquiring) {
            _ = books.withLock { $0.parked.removeValue(forKey: ObjectIdentifier(request)) }
        }
        inFlight.subtract(1, ordering: .releasing)
    }

    /// Records a suspended request; false once stop has swept the parked ones.
    func park(_ request: RequestContext) -> Bool {
        books.withLock { books in
            guard !books.closed else { return false }
            books.parked[ObjectIdentifier(request)] = request
            request.wasParked.store(true, ordering: .releasing)
            return true
        }
    }

    func closeAndTakeParked() -> [RequestContext] {
        books.withLock { books in
            books.closed = true
            return Array(books.parked.values)
        }
    }

    func waitUntilIdle(until deadline: ContinuousClock.Instant) {
        while inFlight.load(ordering: .acquiring) > 0, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
    }
}

/// One request's state between MHD callbacks.
/// @unchecked Sendable: the mutable fields are touched only by the worker thread that owns the
/// connection (MHD runs one callback of a connection at a time, always on that thread); the
/// one hand-off between threads, the deferred answer, goes through the `answer` mutex, which
/// the worker makes when it defers the request (before any other thread can see the request:
/// the STS pool and the stop sweep get it through locks), so an answer given at once costs
/// no mutex.
final class RequestContext: @unchecked Sendable {
    enum Phase { case headers, body, parked, done }

    let connection: OpaquePointer
    let rawURI: String
    /// The connection's record (its deadline); nil only if MHD gave none.
    let record: ConnectionRecord?
    /// The worker whose daemon holds the connection: told when the request is resumed.
    let worker: MHDWorker?
    var phase = Phase.headers
    var method = ""
    var version = ""
    var path = ""
    var headers = HTTPHeaders.collecting()
    var remoteAddress = ""
    var peerCredentials: PeerCredentials?
    var body: [UInt8] = []
    var bodyTooLarge = false
    /// Set (under the books lock) when the request was parked, so completion knows to unpark it.
    let wasParked = Atomic<Bool>(false)
    private var answer: Locked<(given: Bool, response: HTTPResponse?)>?

    init(connection: OpaquePointer, rawURI: String, record: ConnectionRecord?, worker: MHDWorker?) {
        self.connection = connection
        self.rawURI = rawURI
        self.record = record
        self.worker = worker
    }

    func append(_ chunk: UnsafeRawBufferPointer, limit: Int) {
        guard !bodyTooLarge else { return }
        if body.count + chunk.count > limit {
            bodyTooLarge = true
        } else {
            body.append(contentsOf: chunk)
        }
    }

    var request: HTTPRequest {
        var query = ""
        // Searched as UTF-8 bytes: a Character search walks grapheme clusters (1.2% of server CPU).
        if let mark = rawURI.utf8.firstIndex(of: UInt8(ascii: "?")) {
            query = String(rawURI[rawURI.index(after: mark)...].prefix { $0 != "#" })
        }
        return HTTPRequest(
            method: method,
            path: path,
            queryString: query,
            headers: headers,
            body: body,
            remoteAddress: remoteAddress,
            bodyTooLarge: bodyTooLarge,
            isTLS: record?.tls != nil,
            clientCertificate: record?.tls?.clientCertificate,
            peerCredentials: peerCredentials
        )
    }

    /// Called on the worker thread before the request is parked and its work started.
    func prepareToDefer() { answer = Locked((false, nil)) }

    /// Stores the deferred answer; true only for the first one (false if never deferred).
    func give(_ response: HTTPResponse) -> Bool {
        guard let answer else { return false }
        return answer.withLock { answer in
            guard !answer.given else { return false }
            answer = (true, response)
            return true
        }
    }

    func takeAnswer() -> HTTPResponse? {
        answer?.withLock { answer in
            defer { answer.response = nil }
            return answer.response
        }
    }
}
