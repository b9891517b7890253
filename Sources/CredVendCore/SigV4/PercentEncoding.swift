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
        if text.utf8.allSatisfy({ isKept($0, keepSlash: keepSlash) }) { return text }
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count + 16)
        append(text, keepSlash: keepSlash, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `encode`, written at the end of `out` (request bodies built as bytes): the escapes
    /// counted first, then every byte written once into the grown array, straight from
    /// the text's UTF-8 (no copy of it, no array per field).
    static func append(_ text: String, keepSlash: Bool = false, to out: inout [UInt8]) {
        let bytes = text.utf8.span
        var escapes = 0
        for j in bytes.indices where !isKept(bytes[j], keepSlash: keepSlash) { escapes += 1 }
        guard escapes > 0 else {
            out += text.utf8
            return
        }
        var i = out.count
        out.append(contentsOf: repeatElement(UInt8(ascii: "%"), count: bytes.count + 2 * escapes))
        var encoded = out.mutableSpan
        for j in bytes.indices {
            let b = bytes[j]
            if isKept(b, keepSlash: keepSlash) {
                encoded[i] = b
                i += 1
            } else {
                encoded[i + 1] = upperHexDigit(b &>> 4)
                encoded[i + 2] = upperHexDigit(b & 0x0f)
                i += 3
            }
        }
    }

    private static func isKept(_ byte: UInt8, keepSlash: Bool) -> Bool {
        isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/"))
    }

    private static func upperHexDigit(_ value: UInt8) -> UInt8 {
        value &+ (value < 10 ? UInt8(ascii: "0") : UInt8(ascii: "A") &- 10)
    }
}
