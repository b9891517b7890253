// A helper of the *_openssl.swift backings: C calls take one contiguous buffer.
/// Runs `body` over `bytes` as one contiguous buffer, copying only if it is not contiguous.
func withContiguous<Bytes: Collection<UInt8>, R>(_ bytes: Bytes, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let r = bytes.withContiguousStorageIfAvailable(body) { return r }
    return Array(bytes).withUnsafeBufferPointer(body)
}

extension SHA256Digest {
    /// The 32 bytes `write` puts at its pointer, read as the digest's words (no array
    /// made), or nil when `write` reports failure.
    static func written(by write: (UnsafeMutablePointer<UInt8>) -> Bool) -> SHA256Digest? {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let ok = withUnsafeMutableBytes(of: &words) { raw in
            raw.withMemoryRebound(to: UInt8.self) { bytes in bytes.baseAddress.map(write) ?? false }
        }
        guard ok else { return nil }
        return SHA256Digest(
            a: UInt64(bigEndian: words.0),
            b: UInt64(bigEndian: words.1),
            c: UInt64(bigEndian: words.2),
            d: UInt64(bigEndian: words.3)
        )
    }

    /// Runs `body` over the digest's 32 bytes.
    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeBytes(of: (a.bigEndian, b.bigEndian, c.bigEndian, d.bigEndian)) { raw in
            raw.withMemoryRebound(to: UInt8.self, body)
        }
    }
}
