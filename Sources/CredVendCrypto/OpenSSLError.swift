/// An OpenSSL failure, with the library's error queue rendered as text.
public struct OpenSSLError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let detail: String
    public var description: String { "OpenSSL \(operation) failed: \(detail)" }

    package init(operation: String, detail: String) {
        self.operation = operation
        self.detail = detail
    }
}
