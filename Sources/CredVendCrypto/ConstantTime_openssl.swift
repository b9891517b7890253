internal import COpenSSL

/// CRYPTO_memcmp over two non-empty buffers of the same length.
func memoryEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, pa.count) == 0 } }
}
