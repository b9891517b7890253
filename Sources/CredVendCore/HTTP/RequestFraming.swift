/// Framing checks the transport runs on every request head before a handler sees it.
/// A head whose body length or target host two parsers could read differently is
/// refused (400, connection closed), so nothing behind it on the connection can be
/// taken for a request of its own (request smuggling, RFC 9112 §6.3 and §11.2).
public enum RequestFraming {
    /// Why a request head is refused, or nil when its framing is unambiguous.
    /// `version` is the request line's protocol, e.g. "HTTP/1.1"; `target` the request
    /// line's target as sent (not percent-decoded).
    public static func problem(version: String, target: String, headers: HTTPHeaders) -> String? {
        // A parser that splits the request line at the first space sees another target
        // (and version) than libmicrohttpd, which splits at the last.
        guard target.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            return "the request target must not contain whitespace or control characters"
        }
        // HTTP/1.1 and any later 1.x: HTTP/1.0 and 0.9 have no Host rule and no chunked coding.
        let http11 = version.hasPrefix("HTTP/1.") && version != "HTTP/1.0"
        // The first Content-Length value and whether any other differs: no array per request.
        var length: Substring?
        var lengthsDiffer = false
        func sawLength(_ value: Substring) {
            if let length { lengthsDiffer = lengthsDiffer || length != value } else { length = value }
        }
        var transferEncodings = 0
        var hosts = 0
        for field in headers {
            // libmicrohttpd keeps whatever precedes the colon as the name, so
            // "Content-Length : 5" arrives as a name ending in a space.
            guard HeaderSyntax.isToken(field.name) else {
                return "header field names must be tokens, with no whitespace before the colon"
            }
            if HTTPHeaders.sameName(field.name, "Content-Length") {
                // Every request with a body has one, almost always plain digits: no split, no trim.
                if isDigits(field.value) {
                    sawLength(field.value[...])
                } else {
                    for part in field.value.split(separator: ",", omittingEmptySubsequences: false) {
                        sawLength(trimmed(part))
                    }
                }
            } else if HTTPHeaders.sameName(field.name, "Transfer-Encoding") {
                transferEncodings += 1
                guard trimmed(Substring(field.value)).lowercased() == "chunked" else {
                    return "the only transfer coding accepted is chunked"
                }
            } else if HTTPHeaders.sameName(field.name, "Host") {
                hosts += 1
            }
        }
        if transferEncodings > 0 && length != nil {
            return "a request must not carry both Content-Length and Transfer-Encoding"
        }
        if transferEncodings > 1 { return "Transfer-Encoding must appear once" }
        if transferEncodings > 0 && !http11 { return "Transfer-Encoding needs HTTP/1.1" }
        if let length {
            guard !lengthsDiffer else { return "conflicting Content-Length values" }
            guard isDigits(length) else {
                return "Content-Length must be a decimal number"
            }
        }
        if http11 && hosts != 1 { return hosts == 0 ? "HTTP/1.1 needs a Host header" : "Host must appear once" }
        return nil
    }

    /// The body length the head declares: nil for none or chunked (checked by `problem` first).
    public static func declaredLength(_ headers: HTTPHeaders) -> Int? {
        guard let value = headers["Content-Length"] else { return nil }
        if isDigits(value), value.utf8.count <= 18 { return Int(value) }
        let first = trimmed(value.split(separator: ",", omittingEmptySubsequences: false).first ?? "")
        guard !first.isEmpty, first.utf8.count <= 18 else { return first.isEmpty ? nil : Int.max }
        return Int(first)
    }

    /// Non-empty and only ASCII digits.
    private static func isDigits(_ text: some StringProtocol) -> Bool {
        !text.utf8.isEmpty && text.utf8.allSatisfy { $0 &- 0x30 < 10 }
    }

    private static func trimmed(_ text: Substring) -> Substring {
        var rest = text
        while let c = rest.first, c == " " || c == "\t" { rest = rest.dropFirst() }
        while let c = rest.last, c == " " || c == "\t" { rest = rest.dropLast() }
        return rest
    }
}
