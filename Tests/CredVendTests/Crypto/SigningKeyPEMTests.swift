import CredVendTesting
import Testing

@testable import CredVendCore
@testable import CredVendCrypto

@Suite struct SigningKeyPEMTests {
    @Test func traditionalRSAPEMLoads() throws {
        let key = try SigningKey(pem: PEMFixtures.traditionalRSA2048)
        #expect(key.kind == .rsa(bits: 2048))
        let (n, e) = try key.rsaPublicComponents()
        #expect(Hex.encode(n) == PEMFixtures.traditionalRSA2048ModulusHex)
        #expect(e == [0x01, 0x00, 0x01])
        let message = Array("header.payload".utf8)
        #expect(try key.verifyingKey().verify(.RS256, message: message, signature: key.signRS256(message)))
    }

    @Test func pkcs8RoundTrip() throws {
        let original = TestKeys.rsa
        let pem = try original.pemPrivateKey()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(pem.hasSuffix("-----END PRIVATE KEY-----\n"))
        let reloaded = try SigningKey(pem: pem)
        #expect(try reloaded.rsaPublicComponents() == original.rsaPublicComponents())
        let message = Array("x.y".utf8)
        #expect(try original.verifyingKey().verify(.RS256, message: message, signature: reloaded.signRS256(message)))
    }

    @Test func traditionalECPEMLoadsAndRoundTrips() throws {
        let key = try SigningKey(pem: PEMFixtures.traditionalECP256)
        #expect(key.kind == .ec(.p256))
        let (crv, x, y) = try key.ecPublicComponents()
        #expect(crv == "P-256" && x.count == 32 && y.count == 32)
        let message = Array("x.y".utf8)
        #expect(try key.verifyingKey().verify(.ES256, message: message, signature: key.signES256(message)))
        let reloaded = try SigningKey(pem: key.pemPrivateKey())
        #expect(try reloaded.ecPublicComponents() == key.ecPublicComponents())
    }

    @Test func unusableKeysRefused() {
        #expect(throws: OpenSSLError.self) { try SigningKey(pem: PEMFixtures.pkcs8RSA1024) }
        #expect(throws: OpenSSLError.self) { try SigningKey(pem: PEMFixtures.pkcs8Ed25519) }
        #expect(throws: OpenSSLError.self) { try SigningKey(pem: PEMFixtures.encryptedPKCS8ECP256) }
        #expect(throws: OpenSSLError.self) { try SigningKey(pem: "") }
        #expect(throws: OpenSSLError.self) {
            try SigningKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        }
        let truncated = String(PEMFixtures.traditionalRSA2048.dropLast(200))
        #expect(throws: OpenSSLError.self) { try SigningKey(pem: truncated) }
    }

    @Test func componentsOfTheWrongKindRefused() {
        #expect(throws: OpenSSLError.self) { try TestKeys.p256.rsaPublicComponents() }
        #expect(throws: OpenSSLError.self) { try TestKeys.rsa.ecPublicComponents() }
    }

    @Test func errorsCarryOpenSSLDetail() {
        let error = #expect(throws: OpenSSLError.self) { try SigningKey(pem: PEMFixtures.pkcs8RSA1024) }
        #expect(error?.description.contains("1024 bits") == true)
    }
}
