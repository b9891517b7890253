// A helper of the *_openssl.swift backings: C calls take one contiguous buffer.
/// Runs `body` over `bytes` as one contiguous buffer, copying only if it is not contiguous.
func withContiguous<Bytes: Collection<UInt8>, R>(_ bytes: Bytes, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let r = bytes.withContiguousStorageIfAvailable(body) { return r }
    return Array(bytes).withUnsafeBufferPointer(body)
}
