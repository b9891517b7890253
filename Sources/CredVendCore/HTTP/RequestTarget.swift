/// The path a handler routes on, taken from the request target as sent. libmicrohttpd's
/// own unescaping hands over a C string, so a `%00` ended the path there (and
/// `/v1/credentials%00x` was routed as `/v1/credentials`); decoded here, a NUL or a newline
/// stays in the path, which then names no route (404) and is logged escaped.
public enum RequestTarget {
    /// The part of `target` before `?`, with each `%XX` decoded to its byte as
    /// libmicrohttpd decodes it (a malformed escape is kept as written, `+` is not a space);
    /// bytes that are not UTF-8 become U+FFFD.
    public static func path(_ target: String) -> String {
        let bytes = target.utf8
        let end = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex
        guard bytes[..<end].contains(UInt8(ascii: "%")) else { return String(target[..<end]) }
        let raw = Array(bytes[..<end])
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            if raw[i] == UInt8(ascii: "%"), i + 2 < raw.count, let hi = Hex.value(raw[i + 1]),
                let lo = Hex.value(raw[i + 2])
            {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(raw[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
