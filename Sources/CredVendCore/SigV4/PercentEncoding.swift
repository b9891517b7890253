/// RFC 3986 percent-encoding as SigV4 and the AWS query protocol use it: every
/// UTF-8 byte outside the unreserved set `A-Z a-z 0-9 - _ . ~` becomes `%XX`
/// (upper-case hex). A space is `%20`, never `+`. The one encoder: form bodies
/// (`FormURLEncoding`), OAuth Basic credentials and admin API path segments use it too.
public enum PercentEncoding {
    private static let upperHex = Array("0123456789ABCDEF".utf8)

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

    /// `encode`, written at the end of `out` (request bodies built as bytes).
    static func append(_ text: String, keepSlash: Bool = false, to out: inout [UInt8]) {
        for byte in text.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(upperHex[Int(byte >> 4)])
                out.append(upperHex[Int(byte & 0x0f)])
            }
        }
    }
}
