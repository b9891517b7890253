import CredVendCore
import CredVendCrypto
import Synchronization

/// Ids that tie a request's access-log line, audit record and `X-Request-Id` header
/// together: a random per-process prefix and a counter, so no syscall per request.
public enum RequestID {
    /// The prefix's 8 hex digits and the dash.
    private static let prefix: [UInt8] = {
        let bytes = (try? SecureRandom.bytes(4)) ?? (0..<4).map { _ in UInt8.random(in: 0...255) }
        return Array((Hex.encode(bytes) + "-").utf8)
    }()
    private static let counter = Atomic<UInt64>(0)

    /// `PPPPPPPP-NNNNNNNN` (more counter digits past 2^32), written as bytes into one String:
    /// at 17 bytes it is too long for an inline string, so the parts joined as Strings cost
    /// three allocations.
    public static func next() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        var digits = 8
        while digits < 16, n >> UInt64(4 * digits) != 0 { digits += 1 }
        var id = prefix
        id.reserveCapacity(prefix.count + digits)
        for k in stride(from: digits - 1, through: 0, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: n >> UInt64(4 * k)) & 0x0f
            id.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
        }
        return String(decoding: id, as: UTF8.self)
    }
}
