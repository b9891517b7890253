import CredVendTesting
import Testing

@testable import CredVendCore
@testable import CredVendCrypto

/// What a JWKS may hold: RSA exponents and moduli within bounds, EC points on their
/// curve, `use` and `alg` that allow signatures with the key, and one key per kid.
/// Everything else is skipped with its kid and a reason.
@Suite struct JWKSanityTests {
    static func document(_ keys: [String]) -> [UInt8] { Array("{\"keys\":[\(keys.joined(separator: ","))]}".utf8) }

    /// An odd modulus exactly `bits` long (not a product of primes: building and
    /// refusing keys never needs one).
    static func modulus(bits: Int) -> [UInt8] {
        let top = bits % 8 == 0 ? 8 : bits % 8
        var bytes = [UInt8(0xFF >> (8 - top))] + [UInt8](repeating: 0xA5, count: (bits - 1) / 8)
        bytes[bytes.count - 1] |= 1
        return bytes
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] {
        Array((0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }.drop { $0 == 0 })
    }

    static func rsa(
        _ kid: String,
        n: [UInt8] = modulus(bits: 2048),
        e: [UInt8] = [1, 0, 1],
        _ extra: String = ""
    )
        -> String
    {
        #"{"kty":"RSA","kid":\#(JSONText.quote(kid)),"n":"\#(Base64URL.encode(n))","e":"\#(Base64URL.encode(e))"\#(extra)}"#
    }

    static func ec(
        _ kid: String,
        _ key: SigningKey,
        y change: (inout [UInt8]) -> Void = { _ in },
        _ extra: String = ""
    )
        -> String
    {
        let (crv, x, y) = try! key.ecPublicComponents()
        var changed = y
        change(&changed)
        return
            #"{"kty":"EC","kid":\#(JSONText.quote(kid)),"crv":"\#(crv)","x":"\#(Base64URL.encode(x))","y":"\#(Base64URL.encode(changed))"\#(extra)}"#
    }

    /// The one reason a single-key document was skipped for, or nil when the key is in.
    static func verdict(_ key: String) throws -> String? {
        let set = try JWKSet(jwks: document([key]))
        #expect(set.kids.count + set.skipped.count == 1)
        return set.skipped.first?.reason
    }

    @Test(
        arguments: [
            (3, nil), (65537, nil), (0x7FFF_FFFF, nil),
            (0x8000_0001, "RSA public key: RSA public exponent is 32 bits; at most 31 are accepted"),
            (0xFFFF_FFFF, "RSA public key: RSA public exponent is 32 bits; at most 31 are accepted"),
            (65536, "RSA public key: RSA public exponent must be odd and at least 3 (keys use 65537)"),
            (1, "RSA public key: RSA public exponent must be odd and at least 3 (keys use 65537)"),
        ] as [(UInt64, String?)]
    )
    func publicExponentBounds(_ e: UInt64, _ reason: String?) throws {
        #expect(try Self.verdict(Self.rsa("k", e: Self.bigEndian(e))) == reason)
    }

    @Test func aHugeExponentIsSkippedNamingItsSize() throws {
        // The issue's case: a 3071-bit exponent on a 3072-bit modulus, 50x the work per forged token.
        let e = [0x7F] + [UInt8](repeating: 0xFF, count: 383)
        let set = try JWKSet(jwks: Self.document([Self.rsa("big-e", n: Self.modulus(bits: 3072), e: e)]))
        #expect(set.isEmpty)
        #expect(
            set.skipped == [
                .init(
                    index: 0,
                    kid: "big-e",
                    reason: "RSA public key: RSA public exponent is 3071 bits; at most 31 are accepted"
                )
            ]
        )
        // Zero bytes in front are not bits: the same exponent with a zero prefix is the same verdict.
        #expect(try Self.verdict(Self.rsa("k", e: [0, 0, 1, 0, 1])) == nil)
    }

    @Test(
        arguments: [
            (2047, "RSA public key: RSA modulus is 2047 bits; at least 2048 are required"), (2048, nil), (8192, nil),
            (8193, "RSA public key: RSA modulus is 8193 bits; at most 8192 are accepted"),
        ] as [(Int, String?)]
    )
    func modulusBounds(_ bits: Int, _ reason: String?) throws {
        #expect(try Self.verdict(Self.rsa("k", n: Self.modulus(bits: bits))) == reason)
        if reason == nil {
            #expect(
                try JWKSet(jwks: Self.document([Self.rsa("k", n: Self.modulus(bits: bits))]))["k"]?.key.kind
                    == .rsa(bits: bits)
            )
        }
    }

    @Test func ecPointsOffTheirCurveAreSkipped() throws {
        let offP256 = Self.ec("p256", TestKeys.p256) { $0[31] ^= 0x01 }
        let offP384 = Self.ec("p384", TestKeys.p384) { $0[47] ^= 0x01 }
        let beyondField = Self.ec("big-y", TestKeys.p256) { $0 = [UInt8](repeating: 0xFF, count: 32) }
        let zero =
            #"{"kty":"EC","kid":"zero","crv":"P-256","x":"\#(Base64URL.encode([UInt8](repeating: 0, count: 32)))","y":"\#(Base64URL.encode([UInt8](repeating: 0, count: 32)))"}"#
        let set = try JWKSet(
            jwks: Self.document([offP256, offP384, beyondField, zero, Self.ec("good", TestKeys.p384)])
        )
        #expect(set.kids == ["good"])
        #expect(set.skipped.map(\.kid) == ["p256", "p384", "big-y", "zero"])
        for (skip, crv) in zip(set.skipped, ["P-256", "P-384", "P-256", "P-256"]) {
            #expect(skip.reason.hasPrefix("EC public key: (x, y) is not a valid \(crv) point"), "\(skip)")
        }
    }

    @Test(
        arguments: [
            (#","use":"enc""#, #"use "enc" is not "sig": the key is not published for signatures"#),
            (#","use":"sig","alg":"ES256""#, "alg ES256 is for EC keys, and this key is RSA"),
            (#","alg":"PS256""#, #"alg "PS256" is not one credvend verifies (RS256, RS384, RS512, ES256, ES384)"#),
            (#","alg":"HS256""#, #"alg "HS256" is not one credvend verifies (RS256, RS384, RS512, ES256, ES384)"#),
            (#","alg":"RSA-OAEP","use":"enc""#, #"use "enc" is not "sig": the key is not published for signatures"#),
            (#","alg":"RS512","use":"sig""#, nil), (#","alg":"RS384""#, nil), ("", nil),
        ] as [(String, String?)]
    )
    func rsaUseAndAlg(_ extra: String, _ reason: String?) throws {
        #expect(try Self.verdict(Self.rsa("k", extra)) == reason)
    }

    @Test func ecAlgMustNameTheKeysCurve() throws {
        #expect(try Self.verdict(Self.ec("k", TestKeys.p256, #","alg":"ES256","use":"sig""#)) == nil)
        #expect(try Self.verdict(Self.ec("k", TestKeys.p384, #","alg":"ES384""#)) == nil)
        #expect(
            try Self.verdict(Self.ec("k", TestKeys.p256, #","alg":"ES384""#))
                == #"alg ES384 does not fit an EC key on curve "P-256""#
        )
        #expect(
            try Self.verdict(Self.ec("k", TestKeys.p384, #","alg":"RS256""#))
                == #"alg RS256 does not fit an EC key on curve "P-384""#
        )
    }

    @Test func aKidOnKeysThatDifferNamesNoKey() throws {
        let set = try JWKSet(
            jwks: Self.document([
                Self.rsa("twice"),
                Self.rsa("good"),
                Self.ec("twice", TestKeys.p256),
                Self.rsa("twice", #","alg":"RS384""#),
            ])
        )
        #expect(set.kids == ["good"])
        #expect(set.skipped.map(\.index) == [0, 2, 3])
        #expect(set.skipped.allSatisfy { $0.kid == "twice" })
        #expect(
            set.skipped[0].reason
                == "the kid is also on keys 2, 3 with other contents; which one the issuer signs with is ambiguous, "
                + "so no key with this kid is used"
        )
        #expect(set.skipped[1].reason.hasPrefix("the kid is also on keys 0, 3 with other contents"))
        // A key that would be skipped anyway still counts: the kid stays ambiguous.
        let withBadTwin = try JWKSet(jwks: Self.document([Self.rsa("t"), Self.rsa("t", n: Self.modulus(bits: 1024))]))
        #expect(withBadTwin.isEmpty)
        #expect(withBadTwin.skipped.map(\.reason).allSatisfy { $0.hasPrefix("the kid is also on key ") })
    }

    @Test func anExactRepeatIsOneKey() throws {
        let set = try JWKSet(jwks: Self.document([Self.rsa("same"), Self.ec("p", TestKeys.p256), Self.rsa("same")]))
        #expect(set.kids == ["p", "same"])
        #expect(set.skipped.isEmpty)
    }
}
