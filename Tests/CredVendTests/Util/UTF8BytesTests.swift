import Testing

@testable import CredVendCore

@Suite struct UTF8BytesTests {
    @Test func equalBytesAreTheSameWhateverTheirStorage() {
        let a = "arn:aws:iam::123456789012:role/a"
        let b = String(decoding: Array(a.utf8), as: UTF8.self)  // its own storage
        #expect(a.hasSameBytes(as: b))
        #expect("".hasSameBytes(as: ""))
    }

    @Test func canonicallyEquivalentTextIsNotTheSame() {
        let nfc = "caf\u{E9}"
        let nfd = "cafe\u{301}"
        #expect(nfc == nfd, "equal to Swift's ==")
        #expect(!nfc.hasSameBytes(as: nfd))
        // Same length, same marks, another order: still equivalent, still other bytes.
        let x = "a\u{301}\u{323}"
        let y = "a\u{323}\u{301}"
        #expect(x == y)
        #expect(x.utf8.count == y.utf8.count)
        #expect(!x.hasSameBytes(as: y))
    }

    @Test func aDifferenceAnywhereIsFound() {
        let base = Array("prefix/of/some/length".utf8)
        for i in base.indices {
            var changed = base
            changed[i] ^= 0x01
            #expect(!String(decoding: base, as: UTF8.self).hasSameBytes(as: String(decoding: changed, as: UTF8.self)))
        }
        #expect(!"abc".hasSameBytes(as: "abcd"))
    }
}
