// With MHDWorker.swift, the only files that import CMicroHTTPD: the backing of HTTPServer.
// One libmicrohttpd daemon per worker thread, all on the same listening socket, each
// started with MHD_USE_EPOLL and driven by an MHDWorker of ours, never a thread per
// connection: MHD's own thread pool leaves no room in its loops for the HTTP client
// transfers a request starts, which then cost two more thread wake-ups each (WorkerTransfers).
// Handlers get whole requests; a `.deferred` answer suspends the connection
// (MHD_suspend_connection) so no worker waits, and the responder resumes it.
// Hostile clients: the accept policy enforces the global and per-address connection limits
// (ConnectionGuard, which also enforces the whole-request deadline), and the access handler
// refuses any head whose framing is ambiguous (RequestFraming) before the body is read, so
// MHD closes the connection and parses nothing behind it. MHD's own strict mode is not used:
// in 0.9.75, MHD_OPTION_STRICT_FOR_CLIENT = 1 only refuses spaces in the target and an
// HTTP/1.1 request without Host, and its Host refusal writes the 400's header block twice
// (the state is reset to HEADERS_PROCESSED after the error is queued); whitespace before a
// colon is refused only at -1, and Content-Length with Transfer-Encoding, or two
// Content-Lengths, never (Transfer-Encoding wins; the first Content-Length wins).
// HTTPS (MHD_USE_TLS): MHD runs GnuTLS itself; the "TLS" functions below pass it the
// certificate callback and priorities and hand each new session to GnuTLS.swift.
internal import CMicroHTTPD
import CredVendCore
import CredVendSync
import CredVendSystem
import Synchronization

/// The running daemons and the listening socket they share.
/// @unchecked Sendable: the daemons are only passed to MHD_quiesce_daemon and MHD_stop_daemon
/// (the latter once their workers have ended), and `stopped` makes the stop sequence run once.
final class MHDDaemon: @unchecked Sendable {
    private let listener: ListenSocket
    private let workers: [MHDWorker]
    private let core: ServerCore
    /// The retain held by C (the callbacks' closure); released once, after MHD_stop_daemon.
    private let coreForC: Unmanaged<ServerCore>
    private let stopped = Locked(false)

    /// `transfers`: HTTP client transfers the workers carry, one loop per worker.
    init(
        configuration c: HTTPServerConfiguration,
        handler: any HTTPHandler,
        transfers: WorkerTransfers?
    ) throws(HTTPServerError) {
        guard c.threadPoolSize >= 1, c.connectionLimit >= 1, c.connectionTimeoutSeconds >= 1, c.maxBodyBytes >= 0,
            c.perAddressConnectionLimit >= 0, c.requestDeadlineSeconds >= 1,
            c.connectionLimit <= Int(Int32.max) / (c.threadPoolSize + 1)
        else {
            throw HTTPServerError(
                .invalidConfiguration,
                "thread pool size, connection limit, timeout and request deadline must be at least 1, "
                    + "the body and per-address limits at least 0"
            )
        }
        if let transfers, transfers.workers != c.threadPoolSize {
            throw HTTPServerError(
                .invalidConfiguration,
                "the server has \(c.threadPoolSize) workers but its transfers \(transfers.workers)"
            )
        }
        do throws(ListenSocketError) {
            listener =
                switch c.listen {
                case .tcp(let host, let port):
                    try ListenSocket.tcp(host: host, port: port, display: c.listen.description)
                case .unix(let path):
                    try ListenSocket.unix(
                        path: path,
                        mode: c.unixSocketMode,
                        group: c.unixSocketGroup
                    )
                }
        } catch {
            let code: HTTPServerError.Code =
                switch error.code {
                case .invalidAddress: .invalidAddress
                case .socketPathRefused: .socketPathRefused
                case .socketFailed: .socketFailed
                }
            throw HTTPServerError(code, error.message)
        }
        let tls: TLSMaterialStore?
        do {
            tls = try c.tls.map { t throws(HTTPServerError) in try TLSMaterialStore(t) }
        } catch {
            listener.close()
            throw error
        }
        core = ServerCore(
            handler: handler,
            maxBodyBytes: c.maxBodyBytes,
            connections: ConnectionGuard(
                limit: c.connectionLimit,
                perAddressLimit: c.perAddressConnectionLimit,
                deadlineSeconds: c.requestDeadlineSeconds,
                observer: c.observer
            ),
            tls: tls
        )
        coreForC = Unmanaged.passRetained(core)
        let context = coreForC.toOpaque()
        var options: [MHD_OptionItem] = [
            MHD_OptionItem(option: .LISTEN_SOCKET, value: Int(listener.fd), ptr_value: nil),
            // The limits are the accept policy's (which counts its refusals, over every
            // worker). MHD checks its own first and silently, each daemon alone, so they are
            // set where they can never bite first.
            MHD_OptionItem(option: .CONNECTION_LIMIT, value: c.connectionLimit + 1, ptr_value: nil),
            MHD_OptionItem(
                option: .PER_IP_CONNECTION_LIMIT,
                value: c.perAddressConnectionLimit == 0 ? 0 : c.perAddressConnectionLimit + 1,
                ptr_value: nil
            ),
            MHD_OptionItem(option: .CONNECTION_TIMEOUT, value: c.connectionTimeoutSeconds, ptr_value: nil),
            // MHD zeroes a connection's whole memory pool before each keep-alive request: at
            // its 32 KiB default that memset was 4% of a hot request's CPU and evicted the rest
            // of the request's data from L1. A request head must fit in the pool (a larger one
            // is answered 431), and what the server reads is far smaller: a bearer token in
            // a header, a 16 KiB body streamed in pieces into the request's own buffer.
            MHD_OptionItem(
                option: .CONNECTION_MEMORY_LIMIT,
                value: HTTPServerConfiguration.connectionMemoryBytes,
                ptr_value: nil
            ),
            MHD_OptionItem(option: .STRICT_FOR_CLIENT, value: 0, ptr_value: nil),
            CMicroHTTPD_option_notify_connection(mhdConnectionNotified, context),
            CMicroHTTPD_option_uri_log(mhdRequestStarted, context),
            CMicroHTTPD_option_notify_completed(mhdRequestCompleted, context),
        ]
        // Every daemon accepts from the same non-blocking socket: each worker wakes for a new
        // connection and one wins the accept, as in MHD's own thread pool.
        var flags = MHD_USE_EPOLL.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
        if tls != nil { flags |= MHD_USE_TLS.rawValue }
        let daemons = GnuTLSSession.priorities.withCString { priorities -> [OpaquePointer] in
            if tls != nil { options += tlsOptions(priorities: priorities) }
            options.append(MHD_OptionItem(option: .END, value: 0, ptr_value: nil))
            var daemons: [OpaquePointer] = []
            for _ in 0..<c.threadPoolSize {
                let started = options.withUnsafeMutableBufferPointer {
                    CMicroHTTPD_start(flags, 0, mhdAcceptPolicy, context, mhdAccessHandler, context, $0.baseAddress)
                }
                guard let started else { break }
                daemons.append(started)
            }
            return daemons
        }
        var workers: [MHDWorker] = []
        var failure: HTTPServerError?
        if daemons.count < c.threadPoolSize {
            failure = HTTPServerError(.daemonStartFailed, "libmicrohttpd could not start on \(c.listen)")
        } else {
            for (i, daemon) in daemons.enumerated() {
                do {
                    workers.append(try MHDWorker(daemon: daemon, transfers: transfers?.cores[i]))
                } catch {
                    failure = error
                    break
                }
            }
        }
        if let failure {
            // The listening socket is ours to close only once every daemon has handed it back.
            let handedBack = daemons.map { MHD_quiesce_daemon($0) >= 0 }.allSatisfy { $0 }
            for daemon in daemons { MHD_stop_daemon(daemon) }
            coreForC.release()
            if handedBack { listener.close() } else { listener.removeSocketFile() }
            throw failure
        }
        self.workers = workers
        for (i, worker) in workers.enumerated() { worker.start(named: "credvend-http-\(i)") }
        core.connections.startSweeper()
    }

    /// The TCP port bound, nil for a Unix socket.
    var port: Int? { listener.port }

    /// The TLS material new connections get; nil for plain HTTP.
    var tls: TLSMaterialStore? { core.tls }

    /// See `HTTPServer.stop(gracePeriod:)`.
    func stop(gracePeriod: Duration) {
        let first = stopped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        core.draining.store(true, ordering: .releasing)
        // Stop accepting: each daemon hands the listening socket back, and then it is ours to
        // close (a daemon that did not closes it in MHD_stop_daemon).
        if workers.map({ MHD_quiesce_daemon($0.daemon) >= 0 }).allSatisfy({ $0 }) {
            listener.close()  // removes a Unix socket's file too
        } else {
            listener.removeSocketFile()
        }

        let clock = ContinuousClock()
        core.waitUntilIdle(until: clock.now + gracePeriod)
        // MHD_stop_daemon must not meet a suspended connection: answer what is still parked.
        for request in core.closeAndTakeParked() {
            resume(
                request,
                with: .error(
                    status: 503,
                    code: "unavailable",
                    message: "the server is shutting down",
                    headers: ["Retry-After": "1"]
                )
            )
        }
        core.waitUntilIdle(until: clock.now + .seconds(1))
        core.connections.stopSweeper()
        for worker in workers { worker.stopLoop() }
        for worker in workers { MHD_stop_daemon(worker.daemon) }
        coreForC.release()
    }

    deinit {
        stop(gracePeriod: .zero)
    }
}

// MARK: TLS

/// MHD's HTTPS options: the certificate comes from GnuTLS.swift's callback (per handshake,
/// so a reload needs no restart), the protocol versions and ciphers from its priorities.
/// `priorities` must stay valid until MHD_start_daemon returns (MHD parses it there).
private func tlsOptions(priorities: UnsafePointer<CChar>) -> [MHD_OptionItem] {
    [
        MHD_OptionItem(option: .HTTPS_CERT_CALLBACK, value: 0, ptr_value: GnuTLSSession.certificateCallback),
        MHD_OptionItem(option: .HTTPS_PRIORITIES, value: 0, ptr_value: UnsafeMutableRawPointer(mutating: priorities)),
    ]
}

/// At STARTED, before any byte of the handshake is read: the connection's TLS state, with
/// the material current now, and its session set up for it. nil on a plain listener.
private func startTLS(_ connection: OpaquePointer, core: ServerCore) -> TLSConnectionState? {
    guard let store = core.tls, let session = CMicroHTTPD_tls_session(connection) else { return nil }
    let state = TLSConnectionState(material: store.material, observer: core.connections.observer)
    GnuTLSSession.prepare(session, for: state)
    return state
}

/// Completes a parked request: only the first answer resumes the connection, so MHD sees
/// exactly one resume per suspend, and none after the daemon has stopped.
private func resume(_ request: RequestContext, with response: HTTPResponse) {
    guard request.give(response) else { return }
    MHD_resume_connection(request.connection)
    request.worker?.resumed()
}

// MARK: C callbacks (free functions: nonisolated, no captures)

/// The accept policy (MHD_start_daemon's `apc`): the connection limits, counted when they refuse.
private func mhdAcceptPolicy(
    _ cls: UnsafeMutableRawPointer?,
    _ address: UnsafePointer<sockaddr>?,
    _ length: socklen_t
) -> MHD_Result {
    guard let cls else { return .YES }
    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
    return core.connections.admit(PeerKey(address)) ? .YES : .NO
}

/// MHD_OPTION_NOTIFY_CONNECTION: a connection's record lives in its socket context from
/// STARTED to CLOSED (which MHD calls before it closes the socket).
private func mhdConnectionNotified(
    _ cls: UnsafeMutableRawPointer?,
    _ connection: OpaquePointer?,
    _ socketContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ code: MHD_ConnectionNotificationCode
) {
    guard let cls, let connection, let socketContext else { return }
    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
    if code == .CONNECTION_NOTIFY_STARTED {
        let record = core.connections.opened(
            fd: CMicroHTTPD_connection_fd(connection),
            key: PeerKey(CMicroHTTPD_client_address(connection)),
            tls: startTLS(connection, core: core)
        )
        socketContext.pointee = Unmanaged.passRetained(record).toOpaque()
    } else if code == .CONNECTION_NOTIFY_CLOSED, let raw = socketContext.pointee {
        socketContext.pointee = nil
        let record = Unmanaged<ConnectionRecord>.fromOpaque(raw).takeRetainedValue()
        record.tls?.closed()
        core.connections.closed(record)
    }
}

private func connectionRecord(_ connection: OpaquePointer) -> ConnectionRecord? {
    CMicroHTTPD_socket_context(connection).map { Unmanaged<ConnectionRecord>.fromOpaque($0).takeUnretainedValue() }
}

/// MHD_OPTION_URI_LOG_CALLBACK: the first callback of every request. Its result becomes the
/// request's context pointer (`*req_cls`), released in `mhdRequestCompleted`.
private func mhdRequestStarted(
    _ cls: UnsafeMutableRawPointer?,
    _ uri: UnsafePointer<CChar>?,
    _ connection: OpaquePointer?
) -> UnsafeMutableRawPointer? {
    guard let cls, let connection else { return nil }
    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
    core.requestStarted()
    let request = RequestContext(
        connection: connection,
        rawURI: uri.map { String(cString: $0) } ?? "",
        record: connectionRecord(connection),
        worker: MHDWorker.current.value
    )
    return Unmanaged.passRetained(request).toOpaque()
}

/// MHD_OPTION_NOTIFY_COMPLETED: called once per request that `mhdRequestStarted` saw.
private func mhdRequestCompleted(
    _ cls: UnsafeMutableRawPointer?,
    _ connection: OpaquePointer?,
    _ slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ code: MHD_RequestTerminationCode
) {
    guard let cls, let slot, let raw = slot.pointee else { return }
    slot.pointee = nil
    let request = Unmanaged<RequestContext>.fromOpaque(raw).takeRetainedValue()
    Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue().requestFinished(request)
}

/// MHD_AccessHandlerCallback: called once when the headers are in, once per body chunk,
/// once at the end of the body (dispatch), and once more after a resume.
private func mhdAccessHandler(
    _ cls: UnsafeMutableRawPointer?,
    _ connection: OpaquePointer?,
    _ url: UnsafePointer<CChar>?,
    _ method: UnsafePointer<CChar>?,
    _ version: UnsafePointer<CChar>?,
    _ uploadData: UnsafePointer<CChar>?,
    _ uploadDataSize: UnsafeMutablePointer<Int>?,
    _ slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let cls, let connection, let uploadDataSize, let raw = slot?.pointee else { return .NO }
    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
    let request = Unmanaged<RequestContext>.fromOpaque(raw).takeUnretainedValue()
    switch request.phase {
    case .headers:
        if let record = request.record, core.connections.isLate(record) {
            // The whole head was in the socket long before this worker read it: the server is
            // behind (more connections than its workers keep up with), not the client slow. A
            // 503 with Retry-After, before any handler work, lets it catch up, where a close
            // would have made the client reconnect at once; a head that trickled in is closed.
            if ConnectedSocket.noDataReceived(record.fd, for: core.connections.lateNanos) {
                return behind(request, record: record, core: core, connection: connection)
            }
            // Past the deadline (the sweeper had not got to it yet): NO closes the connection.
            if core.connections.expire(record) { return .NO }
        }
        request.method = method.map { String(cString: $0) } ?? ""
        // From the target as sent, not MHD's decoded `url`, where a `%00` ends the C string.
        request.path = RequestTarget.path(request.rawURI)
        request.version = version.map { String(cString: $0) } ?? ""
        request.remoteAddress = clientAddress(connection)
        if request.remoteAddress == "unix" {
            request.peerCredentials = SocketPeer.credentials(fd: CMicroHTTPD_connection_fd(connection)).map {
                PeerCredentials(pid: $0.pid, uid: $0.uid, gid: $0.gid)
            }
        }
        _ = MHD_get_connection_values(connection, .HEADER_KIND, mhdCollectHeader, raw)
        // Answered in this first call, a request has its body and anything after it
        // discarded: MHD closes the connection once the answer is out.
        if let problem = RequestFraming.problem(
            version: request.version,
            target: request.rawURI,
            headers: request.headers
        ) {
            core.connections.observer?.malformedRequest()
            request.phase = .done
            if let record = request.record { core.connections.dispatched(record) }
            return queue(
                .error(status: 400, code: "invalid_request", message: problem),
                core: core,
                connection: connection,
                close: true
            )
        }
        // A client waiting for `100 Continue` with a body over the limit gets the handler's
        // answer (413) instead, and never sends the body.
        if let length = RequestFraming.declaredLength(request.headers), length > core.maxBodyBytes,
            request.version != "HTTP/1.0",
            request.headers["Expect"].map({ HTTPHeaders.sameName($0, "100-continue") }) == true
        {
            request.bodyTooLarge = true
            return dispatch(request, core: core, connection: connection)
        }
        request.phase = .body
        return .YES
    case .body:
        if let record = request.record, core.connections.expire(record) { return .NO }
        if uploadDataSize.pointee > 0 {
            request.append(
                UnsafeRawBufferPointer(start: uploadData, count: uploadDataSize.pointee),
                limit: core.maxBodyBytes
            )
            uploadDataSize.pointee = 0
            return .YES
        }
        return dispatch(request, core: core, connection: connection)
    case .parked:
        guard let response = request.takeAnswer() else { return .NO }
        request.phase = .done
        return queue(response, core: core, connection: connection)
    case .done:
        return .NO
    }
}

/// The answer to a request that waited unread past `ConnectionGuard.lateNanos`: 503 with a
/// jittered `Retry-After`, the connection closed after it.
private func behind(
    _ request: RequestContext,
    record: ConnectionRecord,
    core: ServerCore,
    connection: OpaquePointer
) -> MHD_Result {
    request.phase = .done
    let now = MonotonicClock.nanos()
    let waited = now &- record.requestStart.load(ordering: .relaxed)
    core.connections.dispatched(record)
    core.connections.observer?.connectionRefused(.behind)
    let seconds = ConnectionGuard.retryAfter(waitedNanos: waited, unitRandom: Double.random(in: 0..<1))
    return queue(
        .error(
            status: 503,
            code: "unavailable",
            message: "the server is behind; try again in \(seconds) s",
            headers: ["Retry-After": String(seconds)]
        ),
        core: core,
        connection: connection,
        close: true
    )
}

private func dispatch(_ request: RequestContext, core: ServerCore, connection: OpaquePointer) -> MHD_Result {
    if let record = request.record { core.connections.dispatched(record) }
    switch core.handler.handle(request.request) {
    case .respond(let response):
        request.phase = .done
        return queue(response, core: core, connection: connection)
    case .deferred(let start):
        // Suspend before the work can possibly finish, so every resume follows its suspend.
        MHD_suspend_connection(connection)
        request.phase = .parked
        request.prepareToDefer()
        let responder = HTTPResponder { response in resume(request, with: response) }
        if core.park(request) {
            start(responder)
        } else {
            responder.respond(
                .error(
                    status: 503,
                    code: "unavailable",
                    message: "the server is shutting down",
                    headers: ["Retry-After": "1"]
                )
            )
        }
        return .YES
    }
}

private func mhdCollectHeader(
    _ cls: UnsafeMutableRawPointer?,
    _ kind: MHD_ValueKind,
    _ key: UnsafePointer<CChar>?,
    _ value: UnsafePointer<CChar>?
) -> MHD_Result {
    guard let cls, let key else { return .YES }
    let request = Unmanaged<RequestContext>.fromOpaque(cls).takeUnretainedValue()
    request.headers.add(String(cString: key), value.map { String(cString: $0) } ?? "")
    return .YES
}

// MARK: Responses

/// `close`: the answer carries `Connection: close` (as every answer does while draining).
private func queue(
    _ response: HTTPResponse,
    core: ServerCore,
    connection: OpaquePointer,
    close: Bool = false
) -> MHD_Result {
    let closing = close || core.draining.load(ordering: .acquiring)
    var status = response.status
    var built = (100...999).contains(status) ? makeResponse(response, closing: closing) : nil
    if built == nil {  // a status or header MHD refuses: answer 500 rather than drop the connection
        status = 500
        built = makeResponse(
            .error(status: 500, code: "internal_error", message: "the response could not be sent"),
            closing: closing
        )
    }
    guard let built else { return .NO }
    defer { MHD_destroy_response(built) }
    return MHD_queue_response(connection, UInt32(status), built)
}

/// An MHD response holding a copy of the body (RESPMEM_MUST_COPY), so nothing Swift owns is
/// referenced after this returns.
private func makeResponse(_ response: HTTPResponse, closing: Bool) -> OpaquePointer? {
    let made = response.body.withUnsafeBytes { bytes in
        MHD_create_response_from_buffer(
            bytes.count,
            UnsafeMutableRawPointer(mutating: bytes.baseAddress),
            .RESPMEM_MUST_COPY
        )
    }
    guard let made else { return nil }
    // MHD writes Content-Length itself; with `closing`, Connection is replaced by "close".
    // MHD refuses empty values (and control characters); an empty header carries nothing, so skip it.
    // Names are compared without allocating (this runs for every response).
    for field in response.headers
    where !field.value.isEmpty && !HTTPHeaders.sameName(field.name, "Content-Length")
        && !(closing && HTTPHeaders.sameName(field.name, "Connection"))
    {
        // withCString: a name or value of up to 15 bytes is kept inside the String, and the
        // implicit conversion to a C string would copy it to the heap, once per header.
        let added = field.name.withCString { name in
            field.value.withCString { value in MHD_add_response_header(made, name, value) }
        }
        if added != .YES {
            MHD_destroy_response(made)
            return nil
        }
    }
    if closing && MHD_add_response_header(made, "Connection", "close") != .YES {
        MHD_destroy_response(made)
        return nil
    }
    return made
}

// MARK: Peer address

/// Each worker thread's formatted IPv4 peers (address and port as one key): the text of
/// a keep-alive connection's peer is made once, not once per request.
private final class PeerNames {
    var names: [UInt64: String] = [:]
    static let perThread = ThreadLocal<PeerNames>()
}

private func clientAddress(_ connection: OpaquePointer) -> String {
    guard let address = CMicroHTTPD_client_address(connection) else { return "" }
    guard let key = PeerAddress.ipv4Key(address) else { return PeerAddress.text(address) }
    let cache = PeerNames.perThread.value(orMake: PeerNames.init)
    if let name = cache.names[key] { return name }
    let name = PeerAddress.text(address)
    if cache.names.count >= 4096 { cache.names.removeAll(keepingCapacity: true) }
    cache.names[key] = name
    return name
}
