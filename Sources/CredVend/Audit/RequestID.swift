import CredVendCore
import CredVendCrypto
import Synchronization

/// Ids that tie a request's access-log line, audit record and `X-Request-Id` header
/// together: a random per-process prefix and a counter, so no syscall per request.
public enum RequestID {
    private static let prefix: String = {
        let bytes = (try? SecureRandom.bytes(4)) ?? (0..<4).map { _ in UInt8.random(in: 0...255) }
        return Hex.encode(bytes)
    }()
    private static let counter = Atomic<UInt64>(0)

    public static func next() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        return prefix + "-" + String(n, radix: 16).leftPadded(to: 8)
    }
}
