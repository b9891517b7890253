import CredVendTesting
import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendCrypto
@testable import CredVendStore

/// A JWKS and token factory for verifier tests. Distinctive kid and client_id values let
/// tests check that no error message repeats them.
enum JWTFixture {
    static let issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Fixture"
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let clientId = "client-9d2e41"
    static let rsaKid = "kid-rsa-7f3a"  // alg RS256, use sig
    static let rsaAnyKid = "kid-rsa-any-51c0"  // same key, no alg, no use
    static let rsaRS384Kid = "kid-rsa-rs384-2b9d"  // same key, alg RS384
    static let rsaEncKid = "kid-rsa-enc-880e"  // same key, use enc
    static let p256Kid = "kid-p256-c4d1"
    static let p384Kid = "kid-p384-e07b"

    static let keys: JWKSet = {
        let (n, e) = try! TestKeys.rsa.rsaPublicComponents()
        let p256 = try! TestKeys.p256.ecPublicComponents()
        let p384 = try! TestKeys.p384.ecPublicComponents()
        let document = JWKSet.document([
            JWK(.rsa(n: n, e: e), kid: rsaKid, alg: "RS256", use: "sig"),
            JWK(.rsa(n: n, e: e), kid: rsaAnyKid),
            JWK(.rsa(n: n, e: e), kid: rsaRS384Kid, alg: "RS384"),
            JWK(.rsa(n: n, e: e), kid: rsaEncKid, use: "enc"),
            JWK(.ec(crv: p256.crv, x: p256.x, y: p256.y), kid: p256Kid, alg: "ES256", use: "sig"),
            JWK(.ec(crv: p384.crv, x: p384.x, y: p384.y), kid: p384Kid),
        ])
        return try! JWKSet(jwks: Array(document.utf8))
    }()

    static let verifier = JWTVerifier(issuer: issuer, requiredScopes: ["credvend/vend"])

    static func claims(_ changes: [String: JSONValue?] = [:]) -> [String: JSONValue] {
        var claims: [String: JSONValue] = [
            "iss": .string(issuer), "sub": .string(clientId), "client_id": .string(clientId), "token_use": "access",
            "scope": "openid credvend/vend", "iat": .number(now.timeIntervalSince1970 - 30),
            "exp": .number(now.timeIntervalSince1970 + 3570), "jti": "jti-0c1f",
        ]
        for (name, value) in changes { claims[name] = value }
        return claims
    }

    /// A token with exactly this header (default: alg RS256 and the RS256 kid), signed with
    /// `key` under `signAs` (default: the header's alg).
    static func token(
        header: [String: JSONValue] = ["alg": "RS256", "kid": .string(rsaKid)],
        claims: [String: JSONValue] = claims(),
        key: SigningKey = TestKeys.rsa,
        signAs: SignatureAlgorithm? = nil
    ) throws -> String {
        let alg = signAs ?? SignatureAlgorithm(rawValue: header["alg"]?.stringValue ?? "") ?? .RS256
        return try JWTSigner.compact(
            header: JSONValue.object(header).serialized(),
            payload: JSONValue.object(claims).serialized(),
            key: key,
            algorithm: alg
        )
    }

    /// Joins raw parts (already base64url) into a token.
    static func join(_ parts: String...) -> String { parts.joined(separator: ".") }

    static func b64(_ json: String) -> String { Base64URL.encode(Array(json.utf8)) }

    /// Verifies and expects a refusal with `code`; also checks the message repeats nothing
    /// of the token. Returns the error for further checks.
    @discardableResult
    static func expectRefusal(
        _ token: String,
        _ code: JWTError.Code,
        verifier: JWTVerifier = verifier,
        now: Date = now,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> JWTError? {
        do {
            let verified = try verifier.verify(token: token, keys: keys, now: now)
            Issue.record(
                "expected \(code), but the token was accepted for \(verified.clientId)",
                sourceLocation: sourceLocation
            )
            return nil
        } catch {
            #expect(error.code == code, sourceLocation: sourceLocation)
            #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
            for part in token.split(separator: ".") where part.count >= 4 {
                #expect(!error.message.contains(part), "message repeats a token part", sourceLocation: sourceLocation)
            }
            for value in [clientId, rsaKid, rsaAnyKid, rsaRS384Kid, rsaEncKid, p256Kid, p384Kid, "kid-unknown-3e3e"] {
                #expect(!error.message.contains(value), "message repeats a token value", sourceLocation: sourceLocation)
            }
            #expect(error.httpStatus == (code == .insufficientScope ? 403 : 401), sourceLocation: sourceLocation)
            return error
        }
    }
}
