import CredVendTesting
import Testing

@testable import CredVendCore
@testable import CredVendCrypto

@Suite struct JWKSetTests {
    static func document(_ keys: [String]) -> [UInt8] { Array("{\"keys\":[\(keys.joined(separator: ","))]}".utf8) }

    static let rfcRSA = #"{"kty":"RSA","kid":"2010-12-29","alg":"RS256","use":"sig","n":"\#(RFC7515.rsaN)","e":"AQAB"}"#
    static let rfcEC =
        #"{"kty":"EC","kid":"e9bc097a-ce51-4036-9562-d2ade882db0d","crv":"P-256","x":"\#(RFC7515.ecX)","y":"\#(RFC7515.ecY)"}"#

    @Test func buildsRFCKeysThatVerifyRFCSignatures() throws {
        let set = try JWKSet(jwks: Self.document([Self.rfcRSA, Self.rfcEC]))
        #expect(set.skipped.isEmpty)
        #expect(set.kids == ["2010-12-29", "e9bc097a-ce51-4036-9562-d2ade882db0d"])
        let rsa = try #require(set["2010-12-29"])
        #expect(rsa.jwk.alg == "RS256" && rsa.jwk.use == "sig" && rsa.key.kind == .rsa(bits: 2048))
        #expect(
            rsa.key.verify(
                .RS256,
                message: RFC7515.signingInput(RFC7515.rs256Token),
                signature: RFC7515.signature(RFC7515.rs256Token)
            )
        )
        let ec = try #require(set["e9bc097a-ce51-4036-9562-d2ade882db0d"])
        #expect(ec.jwk.alg == nil && ec.key.kind == .ec(.p256))
        #expect(
            ec.key.verify(
                .ES256,
                message: RFC7515.signingInput(RFC7515.es256Token),
                signature: RFC7515.signature(RFC7515.es256Token)
            )
        )
    }

    @Test func skipsUnusableKeysWithReasons() throws {
        var offCurveY = Base64URL.decode(RFC7515.ecY)!
        offCurveY[0] ^= 0x01
        let small = Base64URL.encode(Base64URL.decode(RFC7515.rsaN)!.prefix(128))
        let set = try JWKSet(
            jwks: Self.document([
                #"{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}"#,
                #"{"kty":"RSA","kid":"small","n":"\#(small)","e":"AQAB"}"#,
                #"{"kty":"EC","kid":"off-curve","crv":"P-256","x":"\#(RFC7515.ecX)","y":"\#(Base64URL.encode(offCurveY))"}"#,
                #"{"kty":"RSA","n":"\#(RFC7515.rsaN)","e":"AQAB"}"#,
                #"{"kty":"RSA","kid":"padded","n":"\#(RFC7515.rsaN)=","e":"AQAB"}"#,
                #"{"kid":"no-kty"}"#,
                #""not an object""#,
                Self.rfcRSA,
            ])
        )
        #expect(set.kids == ["2010-12-29"])
        #expect(set.skipped.map(\.index) == Array(0..<7))
        #expect(set.skipped.map(\.kid) == ["hmac", "small", "off-curve", nil, "padded", "no-kty", nil])
        let reasons = set.skipped.map(\.reason)
        #expect(reasons[0].contains("\"oct\" is not supported"))
        #expect(reasons[1] == "RSA public key: RSA modulus is 1024 bits; at least 2048 are required")
        #expect(reasons[2].hasPrefix("EC public key: (x, y) is not a valid P-256 point"))
        #expect(reasons[3] == "no kid: tokens name their key by kid")
        #expect(reasons[4] == "\"n\" is not base64url")
        #expect(reasons[5] == "\"kty\" is missing")
        #expect(reasons[6] == "a key is not a JSON object")
    }

    @Test(arguments: ["", "[]", "{}", #"{"keys":{}}"#, #"{"keys":[}"#, "null"])
    func refusesDocumentsWithoutAKeysArray(_ text: String) {
        #expect(throws: JWKSetError.self) { try JWKSet(jwks: Array(text.utf8)) }
    }

    @Test func emptyKeysArrayIsAnEmptySet() throws {
        #expect(try JWKSet(jwks: Self.document([])).isEmpty)
    }

    @Test func publishedDocumentReadsBack() throws {
        let rsa = try JWTSigner(key: TestKeys.rsa, kid: "r1").publicJWK()
        let ec = try JWTSigner(key: TestKeys.p384, kid: "e1", algorithm: .ES384).publicJWK()
        let text = JWKSet.document([rsa, ec])
        let set = try JWKSet(jwks: Array(text.utf8))
        #expect(set.skipped.isEmpty)
        #expect(set["r1"]?.jwk == rsa)
        #expect(set["e1"]?.jwk == ec)
        #expect(set["e1"]?.key.kind == .ec(.p384))
        #expect(text.contains(#""e":"AQAB""#) && text.contains(#""use":"sig""#))
    }
}
