import CredVendTesting
import Testing

@testable import CredVendCore
@testable import CredVendCrypto

@Suite struct RFC7515SignatureTests {
    @Test func appendixA2RS256Verifies() throws {
        let key = try RFC7515.rsaKey()
        #expect(key.kind == .rsa(bits: 2048))
        #expect(
            key.verify(
                .RS256,
                message: RFC7515.signingInput(RFC7515.rs256Token),
                signature: RFC7515.signature(RFC7515.rs256Token)
            )
        )
    }

    @Test func appendixA2FailsOnAnyChange() throws {
        let key = try RFC7515.rsaKey()
        let message = RFC7515.signingInput(RFC7515.rs256Token)
        let signature = RFC7515.signature(RFC7515.rs256Token)
        var tamperedMessage = message
        tamperedMessage[tamperedMessage.count - 3] ^= 0x01
        #expect(!key.verify(.RS256, message: tamperedMessage, signature: signature))
        var tamperedSignature = signature
        tamperedSignature[100] ^= 0x80
        #expect(!key.verify(.RS256, message: message, signature: tamperedSignature))
        #expect(!key.verify(.RS256, message: message, signature: Array(signature.dropLast())))
        #expect(!key.verify(.RS256, message: message, signature: [0] + signature))
        #expect(!key.verify(.RS384, message: message, signature: signature))  // other digest
        #expect(!key.verify(.ES256, message: message, signature: signature))  // RSA key, EC alg
    }

    @Test func appendixA2FailsWithAnotherRSAKey() throws {
        let other = try TestKeys.rsa.verifyingKey()
        #expect(
            !other.verify(
                .RS256,
                message: RFC7515.signingInput(RFC7515.rs256Token),
                signature: RFC7515.signature(RFC7515.rs256Token)
            )
        )
    }

    @Test func appendixA3ES256Verifies() throws {
        let key = try RFC7515.ecKey()
        #expect(key.kind == .ec(.p256))
        #expect(
            key.verify(
                .ES256,
                message: RFC7515.signingInput(RFC7515.es256Token),
                signature: RFC7515.signature(RFC7515.es256Token)
            )
        )
    }

    @Test func appendixA3FailsOnAnyChange() throws {
        let key = try RFC7515.ecKey()
        let message = RFC7515.signingInput(RFC7515.es256Token)
        let signature = RFC7515.signature(RFC7515.es256Token)
        #expect(signature.count == 64)
        var tamperedMessage = message
        tamperedMessage[5] ^= 0x02
        #expect(!key.verify(.ES256, message: tamperedMessage, signature: signature))
        var tamperedSignature = signature
        tamperedSignature[40] ^= 0x01
        #expect(!key.verify(.ES256, message: message, signature: tamperedSignature))
        #expect(!key.verify(.ES256, message: message, signature: Array(signature.dropLast())))
        #expect(!key.verify(.ES256, message: message, signature: signature + [0]))
        #expect(!key.verify(.ES384, message: message, signature: signature))  // P-256 key, P-384 alg
        #expect(!key.verify(.RS256, message: message, signature: signature))  // EC key, RSA alg
        let swapped = Array(signature[32...] + signature[..<32])  // s||r
        #expect(!key.verify(.ES256, message: message, signature: swapped))
        #expect(!key.verify(.ES256, message: message, signature: [UInt8](repeating: 0, count: 64)))
    }

    @Test func appendixA3FailsWithAnotherECKey() throws {
        let other = try TestKeys.p256.verifyingKey()
        #expect(
            !other.verify(
                .ES256,
                message: RFC7515.signingInput(RFC7515.es256Token),
                signature: RFC7515.signature(RFC7515.es256Token)
            )
        )
    }

    @Test func ecdsaDERSignatureIsRefused() throws {
        // A DER ECDSA-Sig-Value is what OpenSSL makes; a JWS must carry raw r||s.
        let message = Array("a.b".utf8)
        let raw = try TestKeys.p256.signES256(message)
        let key = try TestKeys.p256.verifyingKey()
        #expect(key.verify(.ES256, message: message, signature: raw))
        let r = Array(raw[..<32])
        let s = Array(raw[32...])
        func integer(_ v: [UInt8]) -> [UInt8] {
            let trimmed = Array(v.drop { $0 == 0 })
            let body = trimmed.first! & 0x80 != 0 ? [0] + trimmed : trimmed
            return [0x02, UInt8(body.count)] + body
        }
        let seq = integer(r) + integer(s)
        let der = [0x30, UInt8(seq.count)] + seq
        #expect(!key.verify(.ES256, message: message, signature: der))
    }
}

@Suite struct VerifyingKeyConstructionTests {
    @Test func smallRSAModulusRefused() throws {
        var n1024 = Array(Base64URL.decode(RFC7515.rsaN)!.prefix(128))
        n1024[127] |= 1
        #expect(throws: OpenSSLError.self) { try VerifyingKey(rsaModulus: n1024, exponent: [1, 0, 1]) }
        // Leading zero bytes do not make a small modulus big.
        #expect(throws: OpenSSLError.self) {
            try VerifyingKey(rsaModulus: [UInt8](repeating: 0, count: 200) + n1024, exponent: [1, 0, 1])
        }
        #expect(throws: OpenSSLError.self) { try VerifyingKey(rsaModulus: [], exponent: [1, 0, 1]) }
    }

    @Test func badRSAParametersRefused() throws {
        let n = Base64URL.decode(RFC7515.rsaN)!
        var even = n
        even[even.count - 1] &= 0xFE
        #expect(throws: OpenSSLError.self) { try VerifyingKey(rsaModulus: even, exponent: [1, 0, 1]) }
        #expect(throws: OpenSSLError.self) { try VerifyingKey(rsaModulus: n, exponent: [1]) }
        #expect(throws: OpenSSLError.self) { try VerifyingKey(rsaModulus: n, exponent: [1, 0, 0]) }
        #expect(throws: OpenSSLError.self) { try VerifyingKey(rsaModulus: n, exponent: []) }
        // Leading zeros are tolerated when the value itself is fine.
        #expect(try VerifyingKey(rsaModulus: [0] + n, exponent: [0, 1, 0, 1]).kind == .rsa(bits: 2048))
    }

    @Test func ecPointOffTheCurveRefused() throws {
        var y = Base64URL.decode(RFC7515.ecY)!
        y[31] ^= 0x01
        let error = #expect(throws: OpenSSLError.self) {
            try VerifyingKey(ecCurve: "P-256", x: Base64URL.decode(RFC7515.ecX)!, y: y)
        }
        #expect(error?.description.contains("not a valid P-256 point") == true)
    }

    @Test func ecPointOnTheWrongCurveRefused() throws {
        // The RFC's P-256 point, zero-padded to P-384 size, is not a P-384 point.
        let pad = [UInt8](repeating: 0, count: 16)
        #expect(throws: OpenSSLError.self) {
            try VerifyingKey(
                ecCurve: "P-384",
                x: pad + Base64URL.decode(RFC7515.ecX)!,
                y: pad + Base64URL.decode(RFC7515.ecY)!
            )
        }
    }

    @Test func ecBadCoordinatesOrCurveRefused() throws {
        let x = Base64URL.decode(RFC7515.ecX)!
        let y = Base64URL.decode(RFC7515.ecY)!
        #expect(throws: OpenSSLError.self) { try VerifyingKey(ecCurve: "P-256", x: Array(x.dropFirst()), y: y) }
        #expect(throws: OpenSSLError.self) { try VerifyingKey(ecCurve: "P-256", x: x, y: y + [0]) }
        #expect(throws: OpenSSLError.self) { try VerifyingKey(ecCurve: "P-521", x: x, y: y) }
        #expect(throws: OpenSSLError.self) { try VerifyingKey(ecCurve: "secp256k1", x: x, y: y) }
        #expect(throws: OpenSSLError.self) {
            try VerifyingKey(ecCurve: "P-256", x: [UInt8](repeating: 0, count: 32), y: [UInt8](repeating: 0, count: 32))
        }
    }
}

@Suite struct SignatureRoundTripTests {
    static let message = Array("eyJhbGciOiJSUzM4NCJ9.eyJzdWIiOiJ4In0".utf8)

    @Test(arguments: [SignatureAlgorithm.RS256, .RS384, .RS512])
    func rsaRoundTrip(alg: SignatureAlgorithm) throws {
        let signature = try TestKeys.rsa.sign(alg, Self.message)
        #expect(signature.count == 256)
        let key = try TestKeys.rsa.verifyingKey()
        #expect(key.verify(alg, message: Self.message, signature: signature))
        #expect(key.verify(alg, message: Self.message[...], signature: signature))  // slices too
        for other in [SignatureAlgorithm.RS256, .RS384, .RS512] where other != alg {
            #expect(!key.verify(other, message: Self.message, signature: signature))
        }
        #expect(!key.verify(alg, message: Self.message.dropLast(), signature: signature))
        #expect(try !TestKeys.otherRSA.verifyingKey().verify(alg, message: Self.message, signature: signature))
    }

    @Test(arguments: [(SignatureAlgorithm.ES256, ECCurve.p256), (.ES384, .p384)])
    func ecRoundTrip(alg: SignatureAlgorithm, curve: ECCurve) throws {
        let signer = curve == .p256 ? TestKeys.p256 : TestKeys.p384
        let signature = try signer.sign(alg, Self.message)
        #expect(signature.count == 2 * curve.coordinateSize)
        let key = try signer.verifyingKey()
        #expect(key.kind == .ec(curve))
        #expect(key.verify(alg, message: Self.message, signature: signature))
        var tampered = signature
        tampered[tampered.count - 1] ^= 0x01
        #expect(!key.verify(alg, message: Self.message, signature: tampered))
        #expect(!key.verify(alg, message: Self.message + [0x2E], signature: signature))
        let wrongKey = try (curve == .p256 ? TestKeys.otherP256 : TestKeys.p256).verifyingKey()
        #expect(!wrongKey.verify(alg, message: Self.message, signature: signature))
    }

    @Test func ecdsaSignaturesWithShortRAndSArePadded() throws {
        // About 1 in 128 signatures has an r or s with a leading zero byte; make enough to see one.
        let key = try TestKeys.p256.verifyingKey()
        var sawShort = false
        for i in 0..<4000 where !sawShort {
            let message = Array("message \(i)".utf8)
            let signature = try TestKeys.p256.signES256(message)
            #expect(signature.count == 64)
            if signature[0] == 0 || signature[32] == 0 {
                sawShort = true
                #expect(key.verify(.ES256, message: message, signature: signature))
            }
        }
        #expect(sawShort)
    }

    @Test func keyMustFitAlgorithmWhenSigning() throws {
        #expect(throws: OpenSSLError.self) { try TestKeys.rsa.sign(.ES256, Self.message) }
        #expect(throws: OpenSSLError.self) { try TestKeys.p256.sign(.RS256, Self.message) }
        #expect(throws: OpenSSLError.self) { try TestKeys.p256.sign(.ES384, Self.message) }
        #expect(throws: OpenSSLError.self) { try TestKeys.p384.sign(.ES256, Self.message) }
    }

    @Test func rs256IsDeterministic() throws {
        #expect(try TestKeys.rsa.signRS256(Self.message) == TestKeys.rsa.signRS256(Self.message))
    }

    @Test func smallRSAGenerationRefused() {
        #expect(throws: OpenSSLError.self) { try SigningKey.generateRSA(bits: 1024) }
    }
}

@Suite struct ConcurrentVerificationTests {
    @Test func oneKeyManyThreads() async throws {
        let rsa = try TestKeys.rsa.verifyingKey()
        let ec = try TestKeys.p256.verifyingKey()
        let message = Array("concurrent.verify".utf8)
        let rsaSignature = try TestKeys.rsa.signRS256(message)
        let ecSignature = try TestKeys.p256.signES256(message)
        let forged = [rsaSignature[0] ^ 1] + rsaSignature.dropFirst()
        let results = await withTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var ok = true
                    for i in 0..<150 {
                        ok =
                            ok && rsa.verify(.RS256, message: message, signature: rsaSignature)
                            && ec.verify(.ES256, message: message, signature: ecSignature)
                            && !rsa.verify(
                                .RS256,
                                message: message,
                                signature: (task + i) % 2 == 0 ? forged : ecSignature
                            )
                    }
                    return ok
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == [Bool](repeating: true, count: 8))
    }
}
