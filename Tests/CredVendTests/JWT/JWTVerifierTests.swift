import CredVendTesting
import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendCrypto

private typealias F = JWTFixture

@Suite struct JWTVerifierAcceptanceTests {
    @Test func happyPath() throws {
        let verified = try F.verifier.verify(token: try F.token(), keys: F.keys, now: F.now)
        #expect(
            verified
                == VerifiedToken(
                    clientId: F.clientId,
                    scopes: ["openid", "credvend/vend"],
                    exp: Date(timeIntervalSince1970: 1_800_003_570),
                    iat: Date(timeIntervalSince1970: 1_799_999_970),
                    jti: "jti-0c1f",
                    sub: F.clientId
                )
        )
    }

    @Test(arguments: [
        (SignatureAlgorithm.RS256, F.rsaAnyKid), (.RS384, F.rsaAnyKid), (.RS384, F.rsaRS384Kid), (.RS512, F.rsaAnyKid),
        (.ES256, F.p256Kid), (.ES384, F.p384Kid),
    ])
    func everyAlgorithmVerifies(alg: SignatureAlgorithm, kid: String) throws {
        let key = alg.curve == .p256 ? TestKeys.p256 : alg.curve == .p384 ? TestKeys.p384 : TestKeys.rsa
        let token = try F.token(header: ["alg": .string(alg.rawValue), "kid": .string(kid)], key: key)
        #expect(try F.verifier.verify(token: token, keys: F.keys, now: F.now).clientId == F.clientId)
    }

    @Test func bytesAndStringAgree() throws {
        let token = try F.token()
        #expect(
            try F.verifier.verify(tokenBytes: Array(token.utf8), keys: F.keys, now: F.now)
                == F.verifier.verify(token: token, keys: F.keys, now: F.now)
        )
    }

    @Test func signerTokensVerify() throws {
        let signer = try JWTSigner(key: TestKeys.rsa, kid: F.rsaKid)
        var claims = JWTSigner.accessTokenClaims(
            issuer: F.issuer,
            clientId: F.clientId,
            scopes: ["credvend/vend"],
            issuedAt: F.now,
            ttl: 3600,
            jti: "j-1"
        )
        let token = try signer.sign(claims: claims)
        #expect(token.split(separator: ".").first == Substring(F.b64(#"{"alg":"RS256","kid":"\#(F.rsaKid)"}"#)))
        let verified = try F.verifier.verify(token: token, keys: F.keys, now: F.now)
        #expect(verified.scopes == ["credvend/vend"] && verified.jti == "j-1" && verified.sub == F.clientId)
        #expect(verified.exp == F.now.addingTimeInterval(3600))
        claims["token_use"] = "id"
        F.expectRefusal(try signer.sign(claims: claims), .wrongTokenUse)
    }

    @Test func signerRefusesAKeyThatDoesNotFit() {
        #expect(throws: OpenSSLError.self) { try JWTSigner(key: TestKeys.p256, kid: "k") }
        #expect(throws: OpenSSLError.self) { try JWTSigner(key: TestKeys.rsa, kid: "k", algorithm: .ES256) }
    }

    @Test func unfollowedKeyHeadersAreIgnored() throws {
        // jku, x5u and jwk may be present; the key still comes from the configured JWKS only.
        let header: [String: JSONValue] = [
            "alg": "RS256", "kid": .string(F.rsaKid), "typ": "JWT", "jku": "https://attacker.example/jwks.json",
            "x5u": "https://attacker.example/cert.pem", "jwk": ["kty": "RSA", "n": "AQAB", "e": "AQAB"],
        ]
        #expect(try F.verifier.verify(token: F.token(header: header), keys: F.keys, now: F.now).clientId == F.clientId)
    }

    @Test func embeddedAttackerKeyIsNotUsed() throws {
        let attacker = TestKeys.otherRSA
        let (n, e) = try attacker.rsaPublicComponents()
        let header: [String: JSONValue] = [
            "alg": "RS256", "kid": .string(F.rsaKid),
            "jwk": ["kty": "RSA", "n": .string(Base64URL.encode(n)), "e": .string(Base64URL.encode(e))],
        ]
        F.expectRefusal(try F.token(header: header, key: attacker), .badSignature)
    }

    @Test func floatTimesAreNumbers() throws {
        let claims = F.claims([
            "exp": .number(1_800_000_000.5), "iat": .number(1_799_999_999.25), "nbf": .number(1_799_999_000.0),
        ])
        #expect(
            try F.verifier.verify(token: F.token(claims: claims), keys: F.keys, now: F.now).exp
                == Date(timeIntervalSince1970: 1_800_000_000.5)
        )
    }

    @Test func optionalClaimsMayBeAbsent() throws {
        let verifier = JWTVerifier(issuer: F.issuer)
        let claims = F.claims(["iat": nil, "jti": nil, "sub": nil, "scope": nil])
        let verified = try verifier.verify(token: F.token(claims: claims), keys: F.keys, now: F.now)
        #expect(verified.iat == nil && verified.jti == nil && verified.sub == nil && verified.scopes.isEmpty)
    }
}

@Suite struct JWTVerifierShapeTests {
    @Test func twoAndFourPartTokens() throws {
        let parts = try F.token().split(separator: ".").map(String.init)
        F.expectRefusal(F.join(parts[0], parts[1]), .malformed)
        F.expectRefusal(F.join(parts[0], parts[1], parts[2], parts[2]), .malformed)
        F.expectRefusal(F.join(parts[0], parts[1], parts[2], ""), .malformed)
        F.expectRefusal("", .malformed)
        F.expectRefusal(parts[0], .malformed)
    }

    @Test(arguments: ["+", "/", "=", " ", "\n", "%", "*"])
    func nonBase64URLCharacters(_ char: String) throws {
        let parts = try F.token().split(separator: ".").map(String.init)
        F.expectRefusal(F.join(parts[0] + char, parts[1], parts[2]), .malformed)
        F.expectRefusal(F.join(parts[0], parts[1], char + parts[2]), .malformed)
        var payload = parts[1]
        payload.insert(contentsOf: char, at: payload.index(payload.startIndex, offsetBy: 8))
        F.expectRefusal(F.join(parts[0], payload, parts[2]), .malformed)
    }

    @Test func paddedSignatureIsMalformed() throws {
        let parts = try F.token().split(separator: ".").map(String.init)
        F.expectRefusal(F.join(parts[0], parts[1], parts[2] + "=="), .malformed)
    }

    @Test(arguments: [#"["RS256"]"#, #""RS256""#, "null", "42", #"{"alg":"RS256","alg":"RS256","kid":"k"}"#, "{", ""])
    func headerNotAJSONObject(_ header: String) throws {
        let parts = try F.token().split(separator: ".").map(String.init)
        F.expectRefusal(F.join(F.b64(header), parts[1], parts[2]), .malformed)
    }

    @Test(arguments: [#"["x"]"#, "true", "{", #"{"exp":1,"exp":2}"#, ""])
    func payloadNotAJSONObject(_ payload: String) throws {
        // Signed correctly, so only the payload shape can be the reason.
        let header = F.b64(#"{"alg":"RS256","kid":"\#(F.rsaKid)"}"#)
        let input = header + "." + F.b64(payload)
        let signature = Base64URL.encode(try TestKeys.rsa.signRS256(Array(input.utf8)))
        F.expectRefusal(input + "." + signature, .malformed)
    }

    @Test func oversizedToken() throws {
        let claims = F.claims(["pad": .string(String(repeating: "x", count: 20_000))])
        F.expectRefusal(try F.token(claims: claims), .malformed)
    }
}

@Suite struct JWTVerifierHeaderTests {
    @Test func algNone() throws {
        let parts = try F.token().split(separator: ".").map(String.init)
        let header = F.b64(#"{"alg":"none","kid":"\#(F.rsaKid)"}"#)
        F.expectRefusal(F.join(header, parts[1], ""), .unsupportedAlgorithm)
        F.expectRefusal(F.join(header, parts[1], parts[2]), .unsupportedAlgorithm)
    }

    @Test func hs256KeyConfusion() throws {
        // The classic attack: HS256 with the issuer's public key (as published) as HMAC secret.
        let (n, _) = try TestKeys.rsa.rsaPublicComponents()
        let jwksText = JWKSet.document([try JWTSigner(key: TestKeys.rsa, kid: F.rsaKid).publicJWK()])
        let header = F.b64(#"{"alg":"HS256","kid":"\#(F.rsaKid)","typ":"JWT"}"#)
        let input = header + "." + Base64URL.encode(JSONValue.object(F.claims()).serialized())
        for secret in [n, Array(jwksText.utf8), Array(F.rsaKid.utf8)] {
            let mac = try HMACSHA256.mac(key: secret, message: Array(input.utf8))
            F.expectRefusal(input + "." + Base64URL.encode(mac), .unsupportedAlgorithm)
        }
    }

    @Test(arguments: ["HS384", "HS512", "PS256", "ES512", "EdDSA", "rs256", "RS256 ", "", "none"])
    func otherAlgorithms(_ alg: String) throws {
        let token = try F.token(header: ["alg": .string(alg), "kid": .string(F.rsaKid)], signAs: .RS256)
        F.expectRefusal(token, .unsupportedAlgorithm)
    }

    @Test func algMissingOrNotAString() throws {
        F.expectRefusal(try F.token(header: ["kid": .string(F.rsaKid)], signAs: .RS256), .unsupportedAlgorithm)
        F.expectRefusal(
            try F.token(header: ["alg": ["RS256"], "kid": .string(F.rsaKid)], signAs: .RS256),
            .unsupportedAlgorithm
        )
    }

    @Test func missingKid() throws {
        F.expectRefusal(try F.token(header: ["alg": "RS256"]), .missingKid)
        F.expectRefusal(try F.token(header: ["alg": "RS256", "kid": ""]), .missingKid)
        F.expectRefusal(try F.token(header: ["alg": "RS256", "kid": 7]), .missingKid)
        // The RFC 7515 A.2 token is validly signed but names no key.
        F.expectRefusal(RFC7515.rs256Token, .missingKid)
    }

    @Test func critHeader() throws {
        for crit: JSONValue in [["exp"], [], "b64"] {
            let header: [String: JSONValue] = ["alg": "RS256", "kid": .string(F.rsaKid), "crit": crit, "exp": 1]
            F.expectRefusal(try F.token(header: header), .critHeader)
        }
    }
}

@Suite struct JWTVerifierKeyTests {
    @Test func unknownKid() throws {
        let error = F.expectRefusal(try F.token(header: ["alg": "RS256", "kid": "kid-unknown-3e3e"]), .unknownKid)
        #expect(error?.httpStatus == 401)
    }

    @Test func rsaKeyWithES256Header() throws {
        // Signed by the P-256 key, so only the key type can be the reason.
        F.expectRefusal(
            try F.token(header: ["alg": "ES256", "kid": .string(F.rsaAnyKid)], key: TestKeys.p256),
            .keyMismatch
        )
    }

    @Test func ecKeyWithRSAHeaderOrOtherCurve() throws {
        F.expectRefusal(try F.token(header: ["alg": "RS256", "kid": .string(F.p256Kid)]), .keyMismatch)
        F.expectRefusal(
            try F.token(header: ["alg": "ES384", "kid": .string(F.p256Kid)], key: TestKeys.p384),
            .keyMismatch
        )
        F.expectRefusal(
            try F.token(header: ["alg": "ES256", "kid": .string(F.p384Kid)], key: TestKeys.p256),
            .keyMismatch
        )
    }

    @Test func jwkAlgMismatch() throws {
        // The key is right for RS256, but the JWKS publishes it for RS384 only.
        F.expectRefusal(try F.token(header: ["alg": "RS256", "kid": .string(F.rsaRS384Kid)]), .keyMismatch)
        F.expectRefusal(try F.token(header: ["alg": "RS512", "kid": .string(F.rsaKid)]), .keyMismatch)
    }

    @Test func jwkUseEncIsNotInTheSet() throws {
        // Skipped when the JWKS is read, so the verifier never sees it: its kid is unknown.
        #expect(F.keys[F.rsaEncKid] == nil)
        #expect(F.keys.skipped.map(\.kid) == [F.rsaEncKid])
        F.expectRefusal(try F.token(header: ["alg": "RS256", "kid": .string(F.rsaEncKid)]), .unknownKid)
    }
}

@Suite struct JWTVerifierSignatureTests {
    @Test func tamperedPayload() throws {
        let parts = try F.token().split(separator: ".").map(String.init)
        let forged = Base64URL.encode(JSONValue.object(F.claims(["client_id": "admin"])).serialized())
        F.expectRefusal(F.join(parts[0], forged, parts[2]), .badSignature)
    }

    @Test func tamperedHeader() throws {
        let parts = try F.token().split(separator: ".").map(String.init)
        let header = F.b64(#"{"alg":"RS256","kid":"\#(F.rsaAnyKid)"}"#)  // same key, different header bytes
        F.expectRefusal(F.join(header, parts[1], parts[2]), .badSignature)
    }

    @Test func tamperedSignature() throws {
        let parts = try F.token().split(separator: ".").map(String.init)
        var signature = Array(parts[2])
        signature[10] = signature[10] == "A" ? "B" : "A"
        F.expectRefusal(F.join(parts[0], parts[1], String(signature)), .badSignature)
        F.expectRefusal(
            F.join(parts[0], parts[1], Base64URL.encode(Base64URL.decode(parts[2])!.dropLast(3))),
            .badSignature
        )
        F.expectRefusal(F.join(parts[0], parts[1], ""), .badSignature)
    }

    @Test func wrongKey() throws {
        F.expectRefusal(try F.token(key: TestKeys.otherRSA), .badSignature)
        F.expectRefusal(
            try F.token(header: ["alg": "ES256", "kid": .string(F.p256Kid)], key: TestKeys.otherP256),
            .badSignature
        )
    }

    @Test func signatureOverReencodedJSONIsNotAccepted() throws {
        // Same claims, different bytes (whitespace): the signature covers the token's own bytes.
        let token = try F.token()
        let parts = token.split(separator: ".").map(String.init)
        let spaced = Base64URL.encode(
            Array(JSONValue.object(F.claims()).jsonString.replacingOccurrences(of: ",", with: ", ").utf8)
        )
        F.expectRefusal(F.join(parts[0], spaced, parts[2]), .badSignature)
    }
}
