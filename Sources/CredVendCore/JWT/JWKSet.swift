/// Why a JWKS document could not be used at all (single bad keys are only skipped).
public import CredVendCrypto

public struct JWKSetError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { "invalid JWKS: \(message)" }
}

/// One key of a JWKS as published (RFC 7517): RSA (`n`, `e`) or EC (`crv`, `x`, `y`).
public struct JWK: Sendable, Equatable {
    public enum Parameters: Sendable, Equatable {
        case rsa(n: [UInt8], e: [UInt8])
        case ec(crv: String, x: [UInt8], y: [UInt8])
    }

    public var parameters: Parameters
    public var kid: String?
    public var alg: String?
    public var use: String?

    public init(_ parameters: Parameters, kid: String? = nil, alg: String? = nil, use: String? = nil) {
        self.parameters = parameters
        self.kid = kid
        self.alg = alg
        self.use = use
    }

    public var kty: String {
        if case .rsa = parameters { return "RSA" }
        return "EC"
    }

    /// Reads one member of a JWKS `keys` array; the error is a reason for the skip list.
    public init(json: JSONValue) throws(JWKSetError) {
        guard let object = json.objectValue else { throw JWKSetError(message: "a key is not a JSON object") }
        func string(_ name: String) throws(JWKSetError) -> String? {
            guard let value = object[name] else { return nil }
            guard let s = value.stringValue else { throw JWKSetError(message: "\"\(name)\" is not a string") }
            return s
        }
        func bytes(_ name: String) throws(JWKSetError) -> [UInt8] {
            guard let text = try string(name) else { throw JWKSetError(message: "\"\(name)\" is missing") }
            guard let decoded = Base64URL.decode(text) else {
                throw JWKSetError(message: "\"\(name)\" is not base64url")
            }
            return decoded
        }
        let parameters: Parameters
        switch try string("kty") {
        case "RSA": parameters = .rsa(n: try bytes("n"), e: try bytes("e"))
        case "EC":
            guard let crv = try string("crv") else { throw JWKSetError(message: "\"crv\" is missing") }
            parameters = .ec(crv: crv, x: try bytes("x"), y: try bytes("y"))
        case nil: throw JWKSetError(message: "\"kty\" is missing")
        case let other?: throw JWKSetError(message: "kty \"\(other)\" is not supported (only RSA and EC)")
        }
        self.init(parameters, kid: try string("kid"), alg: try string("alg"), use: try string("use"))
    }

    /// The public JWK as a JSON object (what the development issuer publishes).
    public var json: JSONValue {
        var object: [String: JSONValue] = ["kty": .string(kty)]
        switch parameters {
        case .rsa(let n, let e):
            object["n"] = .string(Base64URL.encode(n.drop { $0 == 0 }))
            object["e"] = .string(Base64URL.encode(e.drop { $0 == 0 }))
        case .ec(let crv, let x, let y):
            object["crv"] = .string(crv)
            object["x"] = .string(Base64URL.encode(x))
            object["y"] = .string(Base64URL.encode(y))
        }
        if let kid { object["kid"] = .string(kid) }
        if let alg { object["alg"] = .string(alg) }
        if let use { object["use"] = .string(use) }
        return .object(object)
    }

    public func makeVerifyingKey() throws(OpenSSLError) -> VerifyingKey {
        switch parameters {
        case .rsa(let n, let e): return try VerifyingKey(rsaModulus: n, exponent: e)
        case .ec(let crv, let x, let y): return try VerifyingKey(ecCurve: crv, x: x, y: y)
        }
    }
}

/// The keys of one JWKS version, each built into a `VerifyingKey` once, when the set is
/// made; requests only look keys up. Keys that cannot be used are skipped, and why is
/// kept in `skipped` for logs; one bad key never takes the others down.
public struct JWKSet: Sendable {
    public struct Entry: Sendable {
        public let jwk: JWK
        public let key: VerifyingKey
    }

    public let entries: [String: Entry]
    public let skipped: [String]

    public init(jwks bytes: [UInt8]) throws(JWKSetError) {
        let document: JSONValue
        do { document = try JSONParser.parse(bytes) } catch { throw JWKSetError(message: error.description) }
        guard let keys = document["keys"]?.arrayValue else {
            throw JWKSetError(message: "expected a JSON object with a \"keys\" array")
        }
        var jwks: [JWK] = []
        var skipped: [String] = []
        for (i, item) in keys.enumerated() {
            do { jwks.append(try JWK(json: item)) } catch { skipped.append("key \(i): \(error.message)") }
        }
        self.init(jwks, skippedBefore: skipped)
    }

    public init(_ jwks: [JWK]) { self.init(jwks, skippedBefore: []) }

    private init(_ jwks: [JWK], skippedBefore: [String]) {
        var entries: [String: Entry] = [:]
        var skipped = skippedBefore
        for jwk in jwks {
            guard let kid = jwk.kid, !kid.isEmpty else {
                skipped.append("\(jwk.kty) key without a kid: tokens name their key by kid")
                continue
            }
            guard entries[kid] == nil else {
                skipped.append("kid \"\(kid)\": a second key with the same kid (the first one is used)")
                continue
            }
            do {
                entries[kid] = Entry(jwk: jwk, key: try jwk.makeVerifyingKey())
            } catch {
                skipped.append("kid \"\(kid)\": \(error.description)")
            }
        }
        self.entries = entries
        self.skipped = skipped
    }

    public subscript(kid: String) -> Entry? { entries[kid] }

    public var isEmpty: Bool { entries.isEmpty }

    public var kids: [String] { entries.keys.sorted() }

    /// A JWKS document (`{"keys": [...]}`) for the given public keys.
    public static func document(_ jwks: [JWK]) -> String {
        JSONValue.object(["keys": .array(jwks.map(\.json))]).jsonString
    }
}
