import Foundation

/// Where signed AWS requests go (STS, DynamoDB), and the `Host` header value that gets signed.
public struct AWSEndpoint: Sendable, Equatable {
    /// Why a URL is not an endpoint, e.g. `must be an http:// or https:// URL`.
    public struct Invalid: Error, Sendable, Equatable {
        public let reason: String
    }

    /// The URL to send to, path included (`https://sts.us-east-1.amazonaws.com/`).
    public let url: String
    public let scheme: String
    /// Lower-case host, `:port` added unless it is the scheme's default (as
    /// botocore derives it, so a moto peer recomputes the same signature).
    public let host: String
    public let path: String

    /// `https://<service>.<region>.amazonaws.com`, the default of `--sts-endpoint` and
    /// `--dynamodb-endpoint`.
    public static func regional(service: String, region: String) throws(Invalid) -> AWSEndpoint {
        if let problem = AWSRules.region(region) { throw Invalid(reason: "has a region name that \(problem)") }
        return try AWSEndpoint("https://\(service).\(region).amazonaws.com")
    }

    /// An `http` or `https` URL with a host, no query, no fragment, no user info.
    public init(_ text: String) throws(Invalid) {
        guard let parts = URLComponents(string: text), let rawScheme = parts.scheme?.lowercased(),
            rawScheme == "http" || rawScheme == "https"
        else { throw Invalid(reason: "must be an http:// or https:// URL") }
        guard let hostName = parts.host, !hostName.isEmpty else {
            throw Invalid(reason: "has no host")
        }
        guard parts.query == nil, parts.fragment == nil, parts.user == nil, parts.password == nil else {
            throw Invalid(reason: "must not have a query, fragment or user info")
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
