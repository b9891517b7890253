/// `application/x-www-form-urlencoded`, the one form and query-string coding
/// (STS and OAuth bodies, the dev IdP, query strings). Encoding as the AWS query protocol
/// wants it: names and values percent-encoded with the RFC 3986 unreserved set,
/// so a space is `%20` (never `+`) and `+`, `*`, `/`, `:` are escaped. Decoding
/// as browsers and OAuth clients send it (`+` is a space).
public enum FormURLEncoding {
    public static func encode(_ fields: [(name: String, value: String)]) -> String {
        fields.map { "\(PercentEncoding.encode($0.name))=\(PercentEncoding.encode($0.value))" }.joined(separator: "&")
    }

    /// The fields of a form body; for a repeated name the first value wins, as in `HTTPRequest.query`.
    public static func parse(_ bytes: [UInt8]) -> [String: String] {
        var out: [String: String] = [:]
        for item in QueryString.parse(String(decoding: bytes, as: UTF8.self)) where out[item.name] == nil {
            out[item.name] = item.value
        }
        return out
    }

    /// `+` is a space, `%XX` a byte; nil for a malformed escape or bytes that are not UTF-8.
    public static func decode(_ bytes: ArraySlice<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%") {
                guard i + 2 < bytes.endIndex, let hi = Hex.value(bytes[i + 1]), let lo = Hex.value(bytes[i + 2])
                else { return nil }
                out.append(hi << 4 | lo)
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(validating: out, as: UTF8.self)
    }
}
