import CredVendCrypto
public import Foundation

/// An IdP access token and when it was obtained.
public struct CachedToken: Sendable, Equatable, CustomStringConvertible {
    public var accessToken: String
    public var obtainedAt: Date
    /// nil when neither `expires_in` nor the token's `exp` said (such a token is not cached).
    public var expiresAt: Date?

    public init(accessToken: String, obtainedAt: Date, expiresAt: Date?) {
        self.accessToken = accessToken
        self.obtainedAt = obtainedAt
        self.expiresAt = expiresAt
    }

    /// The first 12 hex characters of the token's SHA-256, to correlate with
    /// `credvend serve`'s `token_sha256` log field without showing the token.
    public var fingerprint: String { String(Hex.encode(SHA256.hash(accessToken)).prefix(12)) }

    public var description: String {
        "CachedToken(sha256: \(fingerprint), expires: \(expiresAt.map(ISO8601.string) ?? "unknown"))"
    }
}

/// AWS credentials and when they were obtained.
public struct CachedCredentials: Sendable, Equatable, CustomStringConvertible {
    public var credentials: AWSCredentials
    public var obtainedAt: Date

    public init(credentials: AWSCredentials, obtainedAt: Date) {
        self.credentials = credentials
        self.obtainedAt = obtainedAt
    }

    public var description: String { "CachedCredentials(\(credentials), obtained: \(ISO8601.string(obtainedAt)))" }
}

/// The cache files' JSON (one object per file) and their names. Decoding is
/// strict and returns nil for anything unexpected: a corrupt file is a miss.
public enum ClientCacheRecord {
    static let version = 1.0

    /// File name stem for a settings identity: 32 hex characters of its SHA-256.
    public static func key(_ identity: String) -> String { String(Hex.encode(SHA256.hash(identity)).prefix(32)) }

    public static func tokenFileName(_ settings: ClientSettings) -> String {
        "token-\(key(settings.tokenCacheIdentity)).json"
    }

    public static func credentialsFileName(_ settings: ClientSettings) -> String {
        "credentials-\(key(settings.credentialsCacheIdentity)).json"
    }

    public static func encode(_ t: CachedToken) -> [UInt8]? {
        guard let expiresAt = t.expiresAt else { return nil }
        let o: JSONValue = [
            "version": .number(version), "kind": "token", "access_token": .string(t.accessToken),
            "obtained_at": .number(t.obtainedAt.timeIntervalSince1970),
            "expires_at": .number(expiresAt.timeIntervalSince1970),
        ]
        return o.serialized() + [0x0A]
    }

    public static func decodeToken(_ bytes: [UInt8]) -> CachedToken? {
        guard let o = object(bytes, kind: "token"), let token = o["access_token"]?.stringValue,
            ClientURL.visibleASCII(token), let obtained = date(o["obtained_at"]), let expires = date(o["expires_at"])
        else { return nil }
        return CachedToken(accessToken: token, obtainedAt: obtained, expiresAt: expires)
    }

    public static func encode(_ c: CachedCredentials) -> [UInt8]? {
        guard let expiration = c.credentials.expiration else { return nil }
        var o: [String: JSONValue] = [
            "version": .number(version), "kind": "credentials",
            "obtained_at": .number(c.obtainedAt.timeIntervalSince1970),
            "AccessKeyId": .string(c.credentials.accessKeyId),
            "SecretAccessKey": .string(c.credentials.secretAccessKey),
            "Expiration": .string(ISO8601.string(expiration)),
        ]
        if let t = c.credentials.sessionToken { o["SessionToken"] = .string(t) }
        return JSONValue.object(o).serialized() + [0x0A]
    }

    public static func decodeCredentials(_ bytes: [UInt8]) -> CachedCredentials? {
        guard let o = object(bytes, kind: "credentials"), let obtained = date(o["obtained_at"]),
            let id = o["AccessKeyId"]?.stringValue, ClientURL.visibleASCII(id),
            let secret = o["SecretAccessKey"]?.stringValue, ClientURL.visibleASCII(secret),
            let expiration = o["Expiration"]?.stringValue.flatMap(ISO8601.parse)
        else { return nil }
        var token: String?
        if let value = o["SessionToken"] {
            guard let t = value.stringValue, ClientURL.visibleASCII(t) else { return nil }
            token = t
        }
        return CachedCredentials(
            credentials: AWSCredentials(
                accessKeyId: id,
                secretAccessKey: secret,
                sessionToken: token,
                expiration: expiration
            ),
            obtainedAt: obtained
        )
    }

    private static func object(_ bytes: [UInt8], kind: String) -> [String: JSONValue]? {
        guard let o = (try? JSONParser.parse(bytes))?.objectValue, o["version"]?.numberValue == version,
            o["kind"]?.stringValue == kind
        else { return nil }
        return o
    }

    private static func date(_ value: JSONValue?) -> Date? {
        guard let n = value?.numberValue, n.isFinite, n > 0 else { return nil }
        return Date(timeIntervalSince1970: n)
    }
}
