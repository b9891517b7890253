import Testing

@testable import CredVendCore

@Suite struct Base64URLTests {
    // RFC 4648 section 10, unpadded, plus bytes that use the two url-safe characters.
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"),
        ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ]

    @Test func rfc4648Vectors() {
        for (plain, encoded) in Self.vectors {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(Base64URL.decode(encoded) == Array(plain.utf8))
        }
    }

    @Test func urlSafeAlphabet() {
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
        #expect(Base64URL.encode([0xFF, 0xE0]) == "_-A")
    }

    @Test func roundTripsEveryLength() {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }

    @Test(arguments: [
        "+_-_", "-/-_",  // standard-alphabet characters
        "Zg==", "Zm8=", "Zg=",  // padding
        "Zm 9v", "Zm9v\n", " Zm9v", "Zm9\tv",  // whitespace
        "Z", "Zm9vY",  // impossible lengths
        "Zh", "Zm9", "Zm9vYh",  // non-zero unused bits (non-canonical)
        "Zm9v.", "Zm9v\u{0}", "Zm9vé",
    ])
    func refusesNonStrictInput(_ text: String) {
        #expect(Base64URL.decode(text) == nil)
    }
}
