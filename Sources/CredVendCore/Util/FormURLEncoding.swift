/// `application/x-www-form-urlencoded`. Encoding as the AWS query protocol
/// wants it: names and values percent-encoded with the RFC 3986 unreserved set,
/// so a space is `%20` (never `+`) and `+`, `*`, `/`, `:` are escaped. Decoding
/// as browsers and OAuth clients send it (`+` is a space).
public enum FormURLEncoding {
    public static func encode(_ fields: [(name: String, value: String)]) -> String {
        fields.map { "\(PercentEncoding.encode($0.name))=\(PercentEncoding.encode($0.value))" }.joined(separator: "&")
    }

    public static func parse(_ bytes: [UInt8]) -> [String: String] {
        var out: [String: String] = [:]
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]) else { continue }
            out[name] = parts.count > 1 ? decode(parts[1]) ?? "" : ""
        }
        return out
    }

    public static func decode(_ bytes: ArraySlice<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%") {
                guard i + 2 < bytes.endIndex,
                      let v = Hex.decode(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self))?.first else { return nil }
                out.append(v)
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(validating: out, as: UTF8.self)
    }
}
