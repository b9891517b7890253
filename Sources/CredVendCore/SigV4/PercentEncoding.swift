/// RFC 3986 percent-encoding as SigV4 and the AWS query protocol use it: every
/// UTF-8 byte outside the unreserved set `A-Z a-z 0-9 - _ . ~` becomes `%XX`
/// (upper-case hex). A space is `%20`, never `+`. The one encoder: form bodies
/// (`FormURLEncoding`), OAuth Basic credentials and admin API path segments use it too.
public enum PercentEncoding {
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Encodes `text`; with `keepSlash`, `/` stays literal (paths).
    public static func encode(_ text: String, keepSlash: Bool = false) -> String {
        // Most names and values need no escape: then the text itself, without a copy.
        if text.utf8.allSatisfy({ isUnreserved($0) || (keepSlash && $0 == UInt8(ascii: "/")) }) { return text }
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count + 16)
        append(text, keepSlash: keepSlash, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `encode`, written at the end of `out` (request bodies built as bytes): the escapes
    /// counted first, then every byte written once into a buffer of the final size.
    static func append(_ text: String, keepSlash: Bool = false, to out: inout [UInt8]) {
        let bytes = Array(text.utf8)
        let kept = { (b: UInt8) in isUnreserved(b) || (keepSlash && b == UInt8(ascii: "/")) }
        var escapes = 0
        for b in bytes where !kept(b) { escapes += 1 }
        guard escapes > 0 else {
            out += bytes
            return
        }
        var encoded = [UInt8](repeating: UInt8(ascii: "%"), count: bytes.count + 2 * escapes)
        var j = 0
        for b in bytes {
            if kept(b) {
                encoded[j] = b
                j += 1
            } else {
                encoded[j + 1] = upperHexDigit(b >> 4)
                encoded[j + 2] = upperHexDigit(b & 0x0f)
                j += 3
            }
        }
        out += encoded
    }

    private static func upperHexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") - 10 + value
    }
}
