// The only file that imports CCurl: libcurl built on OpenSSL, with peer and host verification
// always on. `CurlHTTPClient` makes one blocking request per `send` with a `CurlEasy`;
// `CurlTransferLoop` (a thread of its own) and `WorkerTransfers` (the HTTP server's workers)
// run many at once with a `CurlLoopCore` each.
internal import CCurl
import CredVendCore
import CredVendSync
import CredVendSystem
import Foundation
import Synchronization

/// curl_global_init, once per process (a Swift global is initialised once, thread-safely).
enum CurlGlobal {
    static let code: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    static func ensureInitialized() throws(CurlError) {
        guard code == CURLE_OK else {
            throw CurlError(kind: .other, code: Int(code.rawValue), message: "curl_global_init failed")
        }
    }
}

/// One libcurl easy handle, the error buffer and the response sink it writes into, and the
/// header list it sends.
///
/// The options that do not change between requests (verification, callbacks, error buffer)
/// are set once, and so are a request's files (CA, client certificate, Unix socket) and its
/// method: a request that differs from the last in those resets the handle and sets them
/// again, one like it (every STS call of `serve`) sets only its URL, timeouts, body and
/// headers. The handle's pointers (sink, error buffer, header list) are this object's own,
/// so an idle pooled handle never points at freed memory.
/// @unchecked Sendable: a handle is used by one thread at a time: it is either in the pool,
/// behind the pool's lock, or held by the single `send` that took it out.
final class CurlEasy: @unchecked Sendable {
    /// What a reset forgets and a request sets once: equal profiles need no reset.
    private struct Profile: Equatable {
        var method: String
        var hasBody: Bool
        var caFile: String?
        var clientCertificateFile: String?
        var clientKeyFile: String?
        var unixSocketPath: String?

        init(_ r: HTTPClientRequest) {
            method = r.method
            hasBody = !r.body.isEmpty
            caFile = r.caFile
            clientCertificateFile = r.clientCertificateFile
            clientKeyFile = r.clientKeyFile
            unixSocketPath = r.unixSocketPath
        }
    }

    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let sink = ResponseSink()
    /// The header list the handle points at, freed when the next request's replaces it.
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// One header line at a time, NUL-terminated: building it here, not as an interpolated
    /// String, keeps each line off the heap until libcurl copies it.
    private var line: [CChar] = []
    /// The profile the handle is set up for; nil after a failed setup or before the first.
    private var profile: Profile?

    init() throws(CurlError) {
        guard let handle = curl_easy_init() else {
            throw CurlError(kind: .other, code: 0, message: "curl_easy_init failed")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    func perform(_ request: HTTPClientRequest) throws(CurlError) -> HTTPClientResponse {
        try prepare(request)
        return try finish(curl_easy_perform(handle))
    }

    /// Sets the handle up for `request`, for `curl_easy_perform` or a multi handle to run.
    func prepare(_ request: HTTPClientRequest) throws(CurlError) {
        errorBuffer[0] = 0
        let wanted = Profile(request)
        if profile != wanted {
            profile = nil
            curl_easy_reset(handle)
            try setUp(request)
            profile = wanted
        }
        sink.start(maxBodyBytes: request.maxResponseBytes)
        try configure(request)
    }

    /// The answer of the transfer `prepare` set up, once libcurl has ended it with `code`.
    func finish(_ code: CURLcode) throws(CurlError) -> HTTPClientResponse {
        guard code == CURLE_OK else { throw error(code, tooLarge: sink.tooLarge) }
        var status = 0
        try set(CCurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), "CURLINFO_RESPONSE_CODE")
        return HTTPClientResponse(status: status, headers: sink.headers, body: sink.takeBody())
    }

    /// The options a reset clears and equal profiles share.
    private func setUp(_ request: HTTPClientRequest) throws(CurlError) {
        try set(CCurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "CURLOPT_ERRORBUFFER")
        try set(CCurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "CURLOPT_NOSIGNAL")  // threads: no SIGALRM timeouts
        try set(CCurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"), "CURLOPT_PROTOCOLS_STR")
        // Verification is not configurable: these are libcurl's defaults, set so no reset can lose them.
        try set(CCurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1), "CURLOPT_SSL_VERIFYPEER")
        try set(CCurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2), "CURLOPT_SSL_VERIFYHOST")
        if let caFile = request.caFile {
            try set(CCurl_setopt_string(handle, CURLOPT_CAINFO, caFile), "CURLOPT_CAINFO")
        }
        if let certificate = request.clientCertificateFile {
            try set(CCurl_setopt_string(handle, CURLOPT_SSLCERT, certificate), "CURLOPT_SSLCERT")
            try set(CCurl_setopt_string(handle, CURLOPT_SSLCERTTYPE, "PEM"), "CURLOPT_SSLCERTTYPE")
        }
        if let key = request.clientKeyFile {
            try set(CCurl_setopt_string(handle, CURLOPT_SSLKEY, key), "CURLOPT_SSLKEY")
            try set(CCurl_setopt_string(handle, CURLOPT_SSLKEYTYPE, "PEM"), "CURLOPT_SSLKEYTYPE")
        }
        if let socketPath = request.unixSocketPath {
            try set(CCurl_setopt_string(handle, CURLOPT_UNIX_SOCKET_PATH, socketPath), "CURLOPT_UNIX_SOCKET_PATH")
        }
        let context = Unmanaged.passUnretained(sink).toOpaque()
        try set(CCurl_setopt_write(handle, CURLOPT_WRITEFUNCTION, curlWriteBody), "CURLOPT_WRITEFUNCTION")
        try set(CCurl_setopt_pointer(handle, CURLOPT_WRITEDATA, context), "CURLOPT_WRITEDATA")
        try set(CCurl_setopt_write(handle, CURLOPT_HEADERFUNCTION, curlWriteHeader), "CURLOPT_HEADERFUNCTION")
        try set(CCurl_setopt_pointer(handle, CURLOPT_HEADERDATA, context), "CURLOPT_HEADERDATA")
        try setMethod(request.method, hasBody: !request.body.isEmpty)
    }

    /// What each request sets: URL, timeouts, body and headers.
    private func configure(_ request: HTTPClientRequest) throws(CurlError) {
        try set(CCurl_setopt_string(handle, CURLOPT_URL, request.url), "CURLOPT_URL")
        try set(
            CCurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(request.connectTimeout)),
            "CURLOPT_CONNECTTIMEOUT_MS"
        )
        try set(CCurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds(request.timeout)), "CURLOPT_TIMEOUT_MS")
        if !request.body.isEmpty {
            try set(
                CCurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)),
                "CURLOPT_POSTFIELDSIZE_LARGE"
            )
            // COPYPOSTFIELDS copies the bytes during the call, so no pointer outlives this closure.
            let code = request.body.withUnsafeBytes { bytes in
                CCurl_setopt_pointer(
                    handle,
                    CURLOPT_COPYPOSTFIELDS,
                    UnsafeMutableRawPointer(mutating: bytes.baseAddress)
                )
            }
            try set(code, "CURLOPT_COPYPOSTFIELDS")
        }

        var list: UnsafeMutablePointer<curl_slist>?
        do throws(CurlError) {
            for (name, value) in request.headers {
                guard HeaderSyntax.isToken(name), HeaderSyntax.isFieldValue(value) else {
                    throw CurlError(
                        kind: .other,
                        code: 0,
                        message: "header \(HeaderSyntax.isToken(name) ? name : "name") is malformed"
                    )
                }
                // "Name:" would delete the header in libcurl; "Name;" sends it empty.
                line.removeAll(keepingCapacity: true)
                for byte in name.utf8 { line.append(CChar(bitPattern: byte)) }
                if value.isEmpty {
                    line.append(CChar(UInt8(ascii: ";")))
                } else {
                    line.append(CChar(UInt8(ascii: ":")))
                    line.append(CChar(UInt8(ascii: " ")))
                    for byte in value.utf8 { line.append(CChar(bitPattern: byte)) }
                }
                line.append(0)
                try append(line, to: &list)
            }
            try append("Expect:", to: &list)  // no `Expect: 100-continue` round trip before bodies
            try set(CCurl_setopt_slist(handle, CURLOPT_HTTPHEADER, list), "CURLOPT_HTTPHEADER")
        } catch {
            curl_slist_free_all(list)
            throw error
        }
        curl_slist_free_all(headerList)  // the handle now points at `list`
        headerList = list
    }

    /// The method's options; a body's size and bytes are set per request (`configure`).
    private func setMethod(_ method: String, hasBody: Bool) throws(CurlError) {
        guard HeaderSyntax.isToken(method) else {
            throw CurlError(kind: .other, code: 0, message: "HTTP method \(method.prefix(16)) is malformed")
        }
        if method == "HEAD" {
            try set(CCurl_setopt_long(handle, CURLOPT_NOBODY, 1), "CURLOPT_NOBODY")
            return
        }
        if method == "POST" || hasBody {
            if !hasBody {
                try set(CCurl_setopt_long(handle, CURLOPT_POST, 1), "CURLOPT_POST")
                try set(CCurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, 0), "CURLOPT_POSTFIELDSIZE_LARGE")
            }
        } else {
            try set(CCurl_setopt_long(handle, CURLOPT_HTTPGET, 1), "CURLOPT_HTTPGET")
        }
        if method != "GET" && method != "POST" {
            try set(CCurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method), "CURLOPT_CUSTOMREQUEST")
        }
    }

    /// libcurl copies each line it is handed.
    private func append(
        _ line: UnsafePointer<CChar>,
        to list: inout UnsafeMutablePointer<curl_slist>?
    ) throws(CurlError) {
        guard let extended = curl_slist_append(list, line) else {
            throw CurlError(kind: .other, code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_slist_append failed")
        }
        list = extended
    }

    private func set(_ code: CURLcode, _ what: String) throws(CurlError) {
        guard code == CURLE_OK else {
            throw CurlError(
                kind: .other,
                code: Int(code.rawValue),
                message: "\(what): \(String(cString: curl_easy_strerror(code)))"
            )
        }
    }

    private func error(_ code: CURLcode, tooLarge: Bool) -> CurlError {
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        let kind: CurlError.Kind =
            switch code {
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: .couldNotConnect
            case CURLE_OPERATION_TIMEDOUT: .timeout
            case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
                CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
                CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_CLIENTCERT, CURLE_SSL_ENGINE_NOTFOUND,
                CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED:
                .tls
            case CURLE_WRITE_ERROR where tooLarge: .responseTooLarge
            // With TLS 1.3 the server refuses a client certificate after the client's handshake is
            // done, so the refusal (a TLS alert: certificate required, unknown CA...) arrives on read.
            case CURLE_RECV_ERROR where detail.contains(" alert "), CURLE_SEND_ERROR where detail.contains(" alert "):
                .tls
            default: .other
            }
        return CurlError(kind: kind, code: Int(code.rawValue), message: detail)
    }

    private func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

/// What the write callbacks collect during one transfer; one per handle, emptied by `start`.
private final class ResponseSink {
    static let maxHeaderBytes = 256 * 1024
    var maxBodyBytes = 0
    var body: [UInt8] = []
    var headers = HTTPHeaders.collecting()
    var headerBytes = 0
    var tooLarge = false

    func start(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
        body = []
        headers = .collecting()
        headerBytes = 0
        tooLarge = false
    }

    /// Marks the answer too large; what a write callback returns to abort the transfer.
    func refuse() -> Int {
        tooLarge = true
        return 0
    }

    /// The body, handed over without a copy.
    func takeBody() -> [UInt8] {
        defer { body = [] }
        return body
    }
}

/// What a write callback was handed: its transfer's sink and the length of the bytes.
private func sink(_ context: UnsafeMutableRawPointer?, _ size: Int, _ count: Int) -> (ResponseSink, Int)? {
    guard let context else { return nil }
    return (Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue(), size * count)
}

/// CURLOPT_WRITEFUNCTION: returning fewer bytes than given aborts with CURLE_WRITE_ERROR.
private func curlWriteBody(
    _ data: UnsafeMutablePointer<CChar>?,
    _ size: Int,
    _ count: Int,
    _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let (sink, length) = sink(context, size, count) else { return 0 }
    guard sink.body.count + length <= sink.maxBodyBytes else { return sink.refuse() }
    if length > 0, let data { sink.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length)) }
    return length
}

/// CURLOPT_HEADERFUNCTION: one call per header line, status lines included.
private func curlWriteHeader(
    _ data: UnsafeMutablePointer<CChar>?,
    _ size: Int,
    _ count: Int,
    _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let (sink, length) = sink(context, size, count) else { return 0 }
    sink.headerBytes += length
    guard sink.headerBytes <= ResponseSink.maxHeaderBytes else { return sink.refuse() }
    guard length > 0, let data else { return length }
    // Bytes, not a String per line: the line is split and trimmed where it lies.
    let line = UnsafeRawBufferPointer(start: data, count: length)
    if line.starts(with: httpStatusPrefix) {
        sink.headers = .collecting()  // a new response begins (after `100 Continue`, for instance)
    } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
        let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
        var start = colon + 1
        var end = length
        while start < end, isFieldWhitespace(line[start]) { start += 1 }
        while end > start, isFieldWhitespace(line[end - 1]) { end -= 1 }
        sink.headers.add(name, String(decoding: line[start..<end], as: UTF8.self))
    }
    return length
}

private let httpStatusPrefix = Array("HTTP/".utf8)

/// Space, tab and the line's CR LF: what surrounds a header value.
private func isFieldWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
}

/// The loop's state. The multi handle, the easy handles and the epoll set's watches are
/// touched by the loop thread only (the one `attach` was called on); other threads hand
/// requests over through `pending` and wake the loop through the epoll set's eventfd.
///
/// The loop thread is `CurlTransferLoop`'s own (`run`), or an HTTP server's worker
/// (`WorkerTransfers`), which drives the same epoll set with its daemon's sockets in it:
/// a call started while a request is handled then costs no hand-off, and its answer wakes
/// the thread that answers the request.
///
/// libcurl's socket interface (`curl_multi_socket_action`), not `curl_multi_perform`: the
/// latter walks every transfer and `poll`s every socket on each wake-up, so with 32 calls in
/// flight each answer cost 32 times the work; here a wake-up touches the sockets that are ready.
/// @unchecked Sendable: everything but `pending`, `inFlight` and `poll.wake` is the loop thread's.
final class CurlLoopCore: @unchecked Sendable {
    typealias Completion = @Sendable (Result<HTTPClientResponse, CurlError>) -> Void

    struct Pending {
        var requests: [(HTTPClientRequest, Completion)] = []
        /// Set by the loop just before it waits: only then does a new request need a wake-up.
        var sleeping = false
        var stopped = false
        /// A loop thread has attached: from then on that thread ends the transfers.
        var driven = false
    }

    private struct Transfer {
        let easy: CurlEasy
        let completion: Completion
    }

    private let multi: UnsafeMutableRawPointer
    /// The loop thread's epoll set; libcurl's sockets are watched here.
    let poll: EventPoll
    private let maxIdleHandles: Int
    private let pending = Locked(Pending())
    /// Transfers started and not yet answered: an atomic, not a lock, on every start and answer.
    let inFlight = Atomic(0)
    private let finished = DispatchSemaphore(value: 0)
    /// When libcurl wants `CURL_SOCKET_TIMEOUT` (monotonic ns); nil: no timer (loop thread only).
    private var timerDeadline: UInt64?
    private var transfers: [UnsafeMutableRawPointer: Transfer] = [:]
    private var idle: [CurlEasy] = []
    /// The first failure of the multi handle itself during this turn of the loop.
    private var failure: CURLMcode = CURLM_OK

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

    /// Ends every transfer with an error. With a loop attached, tells it and waits for it,
    /// unless called on the loop thread itself (which would wait for itself); with none, ends
    /// them here.
    func stop() {
        let (first, driven) = pending.withLock { p -> (Bool, Bool) in
            defer { p.stopped = true }
            return (!p.stopped, p.driven)
        }
        guard first else { return }
        guard driven else { return end() }
        poll.wake()
        if onLoopThread.value == nil { finished.wait() }
    }

    /// Set on the loop's own thread only.
    private let onLoopThread = ThreadLocal<LoopMarker>()
    private final class LoopMarker {}

    static let stoppedError = CurlError(kind: .other, code: 0, message: "the HTTP client is stopping")

    /// The longest wait without news.
    static let idleMilliseconds: Int32 = 1000

    /// Makes this thread the loop thread; false if the loop was stopped first or has one.
    func attach() -> Bool {
        let attached = pending.withLock { p -> Bool in
            guard !p.stopped, !p.driven else { return false }
            p.driven = true
            return true
        }
        if attached { onLoopThread.value = LoopMarker() }
        return attached
    }

    /// Loop thread: starts the requests handed over since the last turn; false once stopped,
    /// when every transfer has been ended.
    func startSubmitted() -> Bool {
        let (new, stopped) = pending.withLock { p -> ([(HTTPClientRequest, Completion)], Bool) in
            defer { p.requests.removeAll(keepingCapacity: true) }
            return (p.requests, p.stopped)
        }
        if stopped {
            for (_, completion) in new { finish(completion, .failure(Self.stoppedError)) }
            end()
            return false
        }
        for (request, completion) in new {
            do throws(CurlError) {
                let easy: CurlEasy
                if let reused = idle.popLast() { easy = reused } else { easy = try CurlEasy() }
                try easy.prepare(request)
                // Sets a timer of 0: the transfer starts at the timeout in `afterWait`.
                try check(curl_multi_add_handle(multi, easy.handle), "curl_multi_add_handle")
                transfers[easy.handle] = Transfer(easy: easy, completion: completion)
            } catch {
                finish(completion, .failure(error))
            }
        }
        return true
    }

    /// Loop thread, just before it waits: false when a request came in meanwhile (so the wait
    /// is to be 0), true when a new one will wake the wait.
    func prepareToWait() -> Bool {
        pending.withLock { p -> Bool in
            guard p.requests.isEmpty, !p.stopped else { return false }
            p.sleeping = true
            return true
        }
    }

    /// Loop thread: one of libcurl's sockets is ready.
    func socketReady(_ fd: Int32, _ readiness: EventPoll.Readiness) {
        let code = act(on: fd, Self.curlEvents(readiness))
        if code != CURLM_OK && code != CURLM_BAD_SOCKET && failure == CURLM_OK { failure = code }
    }

    /// Loop thread, after the wait: runs libcurl's timer if due and hands every ended transfer
    /// its answer. Returns how many were answered.
    func afterWait() -> Int {
        pending.withLock { $0.sleeping = false }  // awake: a request from this thread needs no wake-up
        if let deadline = timerDeadline, deadline <= Self.now() {
            timerDeadline = nil
            let code = act(on: CURL_SOCKET_TIMEOUT, 0)
            if code != CURLM_OK && failure == CURLM_OK { failure = code }
        }
        if failure != CURLM_OK {
            // The multi handle itself failed: no transfer can go on.
            let error = multiError(failure, "curl_multi_socket_action")
            failure = CURLM_OK
            return failAll(error)
        }
        return collectAnswers()
    }

    /// Until libcurl's timer is due, at most `idleMilliseconds`.
    func waitMilliseconds() -> Int32 {
        guard let deadline = timerDeadline else { return Self.idleMilliseconds }
        let now = Self.now()
        guard deadline > now else { return 0 }
        // Rounded up, so the wait does not end just before the timer and spin.
        return Int32(min(UInt64(Self.idleMilliseconds), (deadline - now + 999_999) / 1_000_000))
    }

    /// Ends every transfer and the multi handle, once: on the loop thread once it sees the
    /// stop, or in `stop` when no loop ever attached.
    private func end() {
        let left = pending.withLock { p -> [(HTTPClientRequest, Completion)] in
            defer { p.requests.removeAll() }
            return p.requests
        }
        for (_, completion) in left { finish(completion, .failure(Self.stoppedError)) }
        _ = failAll(Self.stoppedError)
        idle.removeAll()
        _ = curl_multi_cleanup(multi)
        finished.signal()
    }

    /// Ends every transfer in flight with `error`; returns how many.
    private func failAll(_ error: CurlError) -> Int {
        let ended = transfers.count
        for (handle, transfer) in transfers {
            _ = curl_multi_remove_handle(multi, handle)
            finish(transfer.completion, .failure(error))
        }
        transfers.removeAll()
        return ended
    }

    private func act(on fd: Int32, _ events: Int32) -> CURLMcode {
        var running: Int32 = 0
        return curl_multi_socket_action(multi, fd, events, &running)
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
    private func collectAnswers() -> Int {
        var left: Int32 = 0
        var answered = 0
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
            answered += 1
            finish(transfer.completion, result)
        }
        return answered
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
