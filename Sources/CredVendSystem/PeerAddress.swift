// Peer addresses as libmicrohttpd reports them (a `sockaddr` it owns), for logs.
public import Glibc

public enum PeerAddress {
    /// An IPv4 peer's address and port as one number (a cache key); nil for other families.
    public static func ipv4Key(_ address: UnsafePointer<sockaddr>) -> UInt64? {
        guard Int32(address.pointee.sa_family) == AF_INET else { return nil }
        return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
            UInt64(v4.pointee.sin_addr.s_addr) << 16 | UInt64(v4.pointee.sin_port)
        }
    }

    /// `1.2.3.4:5678`, `[::1]:5678`, `unix`, or "" for anything else.
    public static func text(_ address: UnsafePointer<sockaddr>) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                var ip = v4.pointee.sin_addr
                guard inet_ntop(AF_INET, &ip, &text, socklen_t(text.count)) != nil else { return "" }
                return "\(cText(text)):\(UInt16(bigEndian: v4.pointee.sin_port))"
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                var ip = v6.pointee.sin6_addr
                guard inet_ntop(AF_INET6, &ip, &text, socklen_t(text.count)) != nil else { return "" }
                return "[\(cText(text))]:\(UInt16(bigEndian: v6.pointee.sin6_port))"
            }
        case AF_UNIX:
            return "unix"
        default:
            return ""
        }
    }

    private static func cText(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
