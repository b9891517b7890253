public import CredVendCrypto

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

    /// Why the key's own `use` or `alg` rule it out for verifying tokens, or nil.
    /// `use` must be `sig` when present; `alg`, when present, must be one credvend
    /// verifies and fit the key: RS* for RSA, ES256 for P-256, ES384 for P-384.
    public var usageConflict: String? {
        if let use, use != "sig" {
            return "use \(JSONText.quote(use)) is not \"sig\": the key is not published for signatures"
        }
        guard let alg else { return nil }
        guard let algorithm = SignatureAlgorithm(rawValue: alg) else {
            return "alg \(JSONText.quote(alg)) is not one credvend verifies (\(SignatureAlgorithm.acceptedNames))"
        }
        switch parameters {
        case .rsa:
            guard algorithm.curve == nil else { return "alg \(alg) is for EC keys, and this key is RSA" }
        case .ec(let crv, _, _):
            guard algorithm.curve?.rawValue == crv else {
                return "alg \(alg) does not fit an EC key on curve \(JSONText.quote(crv))"
            }
        }
        return nil
    }

    public func makeVerifyingKey() throws(OpenSSLError) -> VerifyingKey {
        switch parameters {
        case .rsa(let n, let e): return try VerifyingKey(rsaModulus: n, exponent: e)
        case .ec(let crv, let x, let y): return try VerifyingKey(ecCurve: crv, x: x, y: y)
        }
    }
}
