extension String {
    /// Byte-for-byte equality of the UTF-8, not `==`'s canonical equivalence: a role
    /// mapping whose prefix changed from NFC to NFD is another mapping. Compares the two
    /// spans directly; `utf8.elementsEqual` walked both through the generic iterator, and
    /// the credential cache's check of every hit's mapping spent 1.5% of a request there.
    func hasSameBytes(as other: String) -> Bool {
        let a = utf8.span
        let b = other.utf8.span
        guard a.count == b.count else { return false }
        for i in a.indices where a[i] != b[i] { return false }
        return true
    }

    /// Whether every byte of the UTF-8 passes `test`, read through the span: the access log
    /// asks this of every field of every line, and `utf8.allSatisfy` walked the generic iterator.
    func everyUTF8Byte(_ test: (UInt8) -> Bool) -> Bool {
        let bytes = utf8.span
        for i in bytes.indices where !test(bytes[i]) { return false }
        return true
    }
}
