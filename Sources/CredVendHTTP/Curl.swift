// The only file that imports CCurl. HTTPClient makes one blocking request per `send`, over
// libcurl built on OpenSSL, with peer and host verification always on.
internal import CCurl
public import CredVendCore
import CredVendSync

/// A blocking HTTP(S) client. Safe to share between threads.
///
/// Handles: libcurl easy handles keep their connections open between transfers, so the client
/// keeps a small pool of idle handles. `send` takes one out (LIFO, so the warmest), uses it
/// alone on the calling thread, resets its options, and puts it back; a handle is never
/// touched by two threads at once. Concurrent sends each get their own handle; at most
/// `maxIdleHandles` stay pooled afterwards, extra ones are freed.
public final class CurlHTTPClient: HTTPClient {
    private let idle = Locked<[CurlEasy]>([])
    private let maxIdleHandles: Int

    public init(maxIdleHandles: Int = 4) {
        self.maxIdleHandles = maxIdleHandles
    }

    public func send(_ request: HTTPClientRequest) throws(CurlError) -> HTTPClientResponse {
        try CurlGlobal.ensureInitialized()
        let easy: CurlEasy
        if let pooled = idle.withLock({ $0.popLast() }) {
            easy = pooled
        } else {
            easy = try CurlEasy()
        }
        defer {
            idle.withLock { handles in
                if handles.count < maxIdleHandles { handles.append(easy) }
            }
        }
        return try easy.perform(request)
    }
}

/// curl_global_init, once per process (a Swift global is initialised once, thread-safely).
private enum CurlGlobal {
    static let code: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    static func ensureInitialized() throws(CurlError) {
        guard code == CURLE_OK else {
            throw CurlError(kind: .other, code: Int(code.rawValue), message: "curl_global_init failed")
        }
    }
}

/// One libcurl easy handle and the error buffer it writes into.
/// @unchecked Sendable: a handle is used by one thread at a time: it is either in the pool,
/// behind the pool's lock, or held by the single `send` that took it out.
private final class CurlEasy: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

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
        errorBuffer.deallocate()
    }

    func perform(_ request: HTTPClientRequest) throws(CurlError) -> HTTPClientResponse {
        errorBuffer[0] = 0
        let sink = ResponseSink(maxBodyBytes: request.maxResponseBytes)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer {
            // Reset drops the options (header list, sink pointer) but keeps open connections and
            // TLS sessions, so an idle pooled handle points at nothing that is freed here.
            curl_easy_reset(handle)
            curl_slist_free_all(headerList)
        }
        try configure(request, headerList: &headerList)

        let context = Unmanaged.passUnretained(sink).toOpaque()
        try set(CCurl_setopt_write(handle, CURLOPT_WRITEFUNCTION, curlWriteBody), "CURLOPT_WRITEFUNCTION")
        try set(CCurl_setopt_pointer(handle, CURLOPT_WRITEDATA, context), "CURLOPT_WRITEDATA")
        try set(CCurl_setopt_write(handle, CURLOPT_HEADERFUNCTION, curlWriteHeader), "CURLOPT_HEADERFUNCTION")
        try set(CCurl_setopt_pointer(handle, CURLOPT_HEADERDATA, context), "CURLOPT_HEADERDATA")
        let code = withExtendedLifetime(sink) { curl_easy_perform(handle) }
        guard code == CURLE_OK else { throw error(code, tooLarge: sink.tooLarge) }

        var status = 0
        try set(CCurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), "CURLINFO_RESPONSE_CODE")
        return HTTPClientResponse(status: status, headers: sink.headers, body: sink.body)
    }

    private func configure(
        _ request: HTTPClientRequest,
        headerList: inout UnsafeMutablePointer<curl_slist>?
    ) throws(CurlError) {
        try set(CCurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "CURLOPT_ERRORBUFFER")
        try set(CCurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "CURLOPT_NOSIGNAL")  // threads: no SIGALRM timeouts
        try set(CCurl_setopt_string(handle, CURLOPT_URL, request.url), "CURLOPT_URL")
        try set(CCurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"), "CURLOPT_PROTOCOLS_STR")
        try set(
            CCurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(request.connectTimeout)),
            "CURLOPT_CONNECTTIMEOUT_MS"
        )
        try set(CCurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds(request.timeout)), "CURLOPT_TIMEOUT_MS")
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
        try configureMethod(request.method, body: request.body)

        for (name, value) in request.headers {
            guard HeaderSyntax.isToken(name), HeaderSyntax.isFieldValue(value) else {
                throw CurlError(
                    kind: .other,
                    code: 0,
                    message: "header \(HeaderSyntax.isToken(name) ? name : "name") is malformed"
                )
            }
            // "Name:" would delete the header in libcurl; "Name;" sends it empty.
            try append(value.isEmpty ? "\(name);" : "\(name): \(value)", to: &headerList)
        }
        try append("Expect:", to: &headerList)  // no `Expect: 100-continue` round trip before bodies
        try set(CCurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList), "CURLOPT_HTTPHEADER")
    }

    private func configureMethod(_ method: String, body: [UInt8]) throws(CurlError) {
        guard HeaderSyntax.isToken(method) else {
            throw CurlError(kind: .other, code: 0, message: "HTTP method \(method.prefix(16)) is malformed")
        }
        if method == "HEAD" {
            try set(CCurl_setopt_long(handle, CURLOPT_NOBODY, 1), "CURLOPT_NOBODY")
            return
        }
        if method == "POST" || !body.isEmpty {
            if body.isEmpty {
                try set(CCurl_setopt_long(handle, CURLOPT_POST, 1), "CURLOPT_POST")
                try set(CCurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, 0), "CURLOPT_POSTFIELDSIZE_LARGE")
            } else {
                try set(
                    CCurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)),
                    "CURLOPT_POSTFIELDSIZE_LARGE"
                )
                // COPYPOSTFIELDS copies the bytes during the call, so no pointer outlives this closure.
                let code = body.withUnsafeBytes { bytes in
                    CCurl_setopt_pointer(
                        handle,
                        CURLOPT_COPYPOSTFIELDS,
                        UnsafeMutableRawPointer(mutating: bytes.baseAddress)
                    )
                }
                try set(code, "CURLOPT_COPYPOSTFIELDS")
            }
        } else {
            try set(CCurl_setopt_long(handle, CURLOPT_HTTPGET, 1), "CURLOPT_HTTPGET")
        }
        if method != "GET" && method != "POST" {
            try set(CCurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method), "CURLOPT_CUSTOMREQUEST")
        }
    }

    private func append(_ line: String, to list: inout UnsafeMutablePointer<curl_slist>?) throws(CurlError) {
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

/// What the write callbacks collect during one transfer.
private final class ResponseSink {
    static let maxHeaderBytes = 256 * 1024
    let maxBodyBytes: Int
    var body: [UInt8] = []
    var headers = HTTPHeaders()
    var headerBytes = 0
    var tooLarge = false

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }
}

/// CURLOPT_WRITEFUNCTION: returning fewer bytes than given aborts with CURLE_WRITE_ERROR.
private func curlWriteBody(
    _ data: UnsafeMutablePointer<CChar>?,
    _ size: Int,
    _ count: Int,
    _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    guard sink.body.count + length <= sink.maxBodyBytes else {
        sink.tooLarge = true
        return 0
    }
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
    guard let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    sink.headerBytes += length
    guard sink.headerBytes <= ResponseSink.maxHeaderBytes else {
        sink.tooLarge = true
        return 0
    }
    guard length > 0, let data else { return length }
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        sink.headers = HTTPHeaders()  // a new response begins (after `100 Continue`, for instance)
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingWhitespace()
        sink.headers.add(name, value)
    }
    return length
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace })
        else {
            return ""
        }
        return String(self[first...last])
    }
}
