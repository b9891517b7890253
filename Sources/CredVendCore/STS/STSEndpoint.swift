import Foundation

/// Where STS requests go, and the `Host` header value that gets signed.
public struct STSEndpoint: Sendable, Equatable {
    /// The URL to send to, path included (`https://sts.us-east-1.amazonaws.com/`).
    public let url: String
    public let scheme: String
    /// Lower-case host, `:port` added unless it is the scheme's default (as
    /// botocore derives it, so a moto peer recomputes the same signature).
    public let host: String
    public let path: String

    /// `https://sts.<region>.amazonaws.com`, the default of `--sts-endpoint`.
    public static func regional(_ region: String) throws(STSError) -> STSEndpoint {
        if let problem = AWSRules.region(region) { throw .invalidEndpoint("the region name \(problem)") }
        return try STSEndpoint("https://sts.\(region).amazonaws.com")
    }

    /// An `http` or `https` URL with a host, no query, no fragment, no user info.
    public init(_ text: String) throws(STSError) {
        guard let parts = URLComponents(string: text), let rawScheme = parts.scheme?.lowercased(),
            rawScheme == "http" || rawScheme == "https"
        else { throw .invalidEndpoint("the STS endpoint must be an http:// or https:// URL") }
        guard let hostName = parts.host, !hostName.isEmpty else {
            throw .invalidEndpoint("the STS endpoint URL has no host")
        }
        guard parts.query == nil, parts.fragment == nil, parts.user == nil, parts.password == nil else {
            throw .invalidEndpoint("the STS endpoint URL must not have a query, fragment or user info")
        }
        var host = hostName.lowercased()
        if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }  // IPv6 literal
        let defaultPort = rawScheme == "https" ? 443 : 80
        if let port = parts.port, port != defaultPort { host += ":\(port)" }
        let path = parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath
        self.init(url: "\(rawScheme)://\(host)\(path)", scheme: rawScheme, host: host, path: path)
    }

    private init(url: String, scheme: String, host: String, path: String) {
        self.url = url
        self.scheme = scheme
        self.host = host
        self.path = path
    }
}
