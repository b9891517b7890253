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

    /// `encode`, written at the end of `out` (request bodies built as bytes): runs of
    /// unreserved bytes are copied whole, not a byte at a time.
    static func append(_ text: String, keepSlash: Bool = false, to out: inout [UInt8]) {
        let bytes = Array(text.utf8)
        var run = 0
        for (i, byte) in bytes.enumerated() where !(isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/"))) {
            out += bytes[run..<i]
            out.append(UInt8(ascii: "%"))
            out.append(upperHexDigit(byte >> 4))
            out.append(upperHexDigit(byte & 0x0f))
            run = i + 1
        }
        out += bytes[run...]
    }

    private static func upperHexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") - 10 + value
    }
}
