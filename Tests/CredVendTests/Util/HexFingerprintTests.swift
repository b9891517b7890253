import CredVendCrypto
import Testing

@testable import CredVendCore

@Suite struct HexFingerprintTests {
    /// The first 12 digits of the whole digest's hex, leading zeros kept.
    @Test func isThePrefixOfTheDigestsHex() {
        var inputs: [[UInt8]] = (0..<200).map { Array("token-\($0)".utf8) }
        inputs.append([])
        for input in inputs {
            let digest = SHA256.digest(input.span)
            #expect(Hex.fingerprint(digest) == String(Hex.encode(digest).prefix(12)))
        }
        // Among 200 digests some start with a zero digit: the padding is exercised.
        #expect(inputs.contains { Hex.fingerprint(SHA256.digest($0.span)).hasPrefix("0") })
    }
}
