/// Builds JSON text by hand on the request path, where encoding a Codable
/// would allocate several times more for a five-field object.
public enum JSONText {
    /// A JSON string literal, escaped as `JSONValue` escapes it.
    public static func quote(_ s: String) -> String { JSONValue.string(s).jsonString }

    /// `quote(s)`'s bytes appended to `out`, with no intermediate string.
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) { JSONValue.writeString(s, into: &out) }
}
