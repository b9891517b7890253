public import CredVendCore
import CredVendSync

/// A blocking HTTP(S) client. Safe to share between threads.
///
/// Handles: libcurl easy handles keep their connections open between transfers, so the client
/// keeps a small pool of idle handles. `send` takes one out (LIFO, so the warmest), uses it
/// alone on the calling thread (see `CurlEasy` for which options it sets again), and puts it back; a handle is never
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
