/// Task 1 of SigV4, "create a canonical request", one stage per function so
/// each can be checked on its own against the AWS SigV4 test suite.
import CredVendCrypto

enum CanonicalRequest {
    /// The canonical URI. With `normalize` (every service but S3), the path is
    /// first normalized per RFC 3986 section 5.2.4 with empty segments removed
    /// (`//a//` is `/a/`, `/a/../b` is `/b`). Then each byte outside the
    /// unreserved set except `/` is percent-encoded. An empty path is `/`.
    static func uri(path: String, normalize: Bool) -> String {
        let source = normalize ? normalizedPath(path) : path
        return source.isEmpty ? "/" : PercentEncoding.encode(source, keepSlash: true)
    }

    /// Dot segments resolved, repeated slashes collapsed; a trailing slash (or a
    /// trailing `.`/`..` segment, which names a directory) is kept.
    static func normalizedPath(_ path: String) -> String {
        if path == "/" { return path }  // STS's, on every call
        let rawSegments = path.split(separator: "/", omittingEmptySubsequences: false)
        var kept: [Substring] = []
        for segment in rawSegments {
            switch segment {
            case "", ".": continue
            case "..": _ = kept.popLast()
            default: kept.append(segment)
            }
        }
        if kept.isEmpty { return "/" }
        let last = rawSegments.last ?? ""
        let trailingSlash = last.isEmpty || last == "." || last == ".."
        return "/" + kept.joined(separator: "/") + (trailingSlash ? "/" : "")
    }

    /// Names and values percent-encoded, pairs sorted by encoded name, then by
    /// encoded value (byte order), joined with `&`. A missing value is `name=`.
    static func queryString(_ query: [(name: String, value: String)]) -> String {
        let encoded = query.map { (PercentEncoding.encode($0.name), PercentEncoding.encode($0.value)) }
        let sorted = encoded.sorted { a, b in
            if a.0 != b.0 { return a.0.utf8.lexicographicallyPrecedes(b.0.utf8) }
            return a.1.utf8.lexicographicallyPrecedes(b.1.utf8)
        }
        return sorted.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// One header value as SigV4 wants it: leading and trailing whitespace
    /// trimmed, each inner run of whitespace collapsed to one space.
    static func headerValue(_ value: String) -> String {
        isCanonical(value)
            ? value
            : value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })
                .joined(separator: " ")
    }

    /// No leading, trailing or repeated space and no tab, CR or LF: already what
    /// `headerValue` makes of it (every value credvend signs), so no split and join.
    private static func isCanonical(_ value: String) -> Bool {
        var previousWasSpace = true
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: " "):
                if previousWasSpace { return false }
                previousWasSpace = true
            case UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): return false
            default: previousWasSpace = false
            }
        }
        return !previousWasSpace || value.isEmpty
    }

    /// `name.lowercased()` without Unicode case mapping for an ASCII name (every header name).
    static func lowercasedName(_ name: String) -> String {
        guard name.utf8.contains(where: { $0 >= 0x80 || (0x41...0x5A).contains($0) }) else { return name }
        guard name.utf8.allSatisfy({ $0 < 0x80 }) else { return name.lowercased() }
        return String(decoding: name.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// Header fields grouped by lower-cased name, sorted by name (byte order);
    /// repeated fields keep their order and are joined with `,`.
    static func headerEntries(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var values: [String: [String]] = [:]
        for field in headers {
            values[lowercasedName(field.name), default: []].append(headerValue(field.value))
        }
        return values.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { (name: $0, value: values[$0]!.joined(separator: ",")) }
    }

    /// `name:value\n` per entry (each line ends with a newline).
    static func headers(_ entries: [(name: String, value: String)]) -> String {
        entries.map { "\($0.name):\($0.value)\n" }.joined()
    }

    /// The entries' names joined with `;`.
    static func signedHeaders(_ entries: [(name: String, value: String)]) -> String {
        entries.map(\.name).joined(separator: ";")
    }

    /// Lower-case hex SHA-256 of the body (of the empty string for no body).
    static func hashedPayload(_ body: [UInt8]) -> String {
        Hex.encode(SHA256.digest(body.span))
    }

    /// The six parts, one per line.
    static func make(
        method: String,
        uri: String,
        queryString: String,
        canonicalHeaders: String,
        signedHeaders: String,
        hashedPayload: String
    ) -> String {
        [method, uri, queryString, canonicalHeaders, signedHeaders, hashedPayload].joined(separator: "\n")
    }
}
