internal import COpenSSL
import CredVendSystem

/// One-shot SHA-2 on this thread's context for `algorithm`: init with the fetched digest,
/// one update, final. A failure stops the process (see `SHA256`).
func digest<Bytes: Collection<UInt8>>(_ algorithm: SignatureAlgorithm.Digest, _ input: Bytes) -> [UInt8] {
    withContiguous(input) { digest(algorithm, $0) }
}

/// `digest` of an array: not generic, so the hot path has no generic dispatch.
func digest(_ algorithm: SignatureAlgorithm.Digest, _ input: [UInt8]) -> [UInt8] {
    input.withUnsafeBufferPointer { digest(algorithm, $0) }
}

/// `digest` over one buffer.
func digest(_ algorithm: SignatureAlgorithm.Digest, _ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
    let ctx = DigestContexts.context(for: algorithm)
    var length: UInt32 = 0
    let out = [UInt8](unsafeUninitializedCapacity: algorithm.byteCount) { out, initialized in
        let ok =
            EVP_DigestInit_ex2(ctx, algorithm.evpMD, nil) == 1
            && EVP_DigestUpdate(ctx, input.baseAddress, input.count) == 1
            && EVP_DigestFinal_ex(ctx, out.baseAddress, &length) == 1
        initialized = ok ? Int(length) : 0
    }
    guard out.count == algorithm.byteCount else { OpenSSLError.broken("\(algorithm.openSSLName) digest") }
    return out
}

/// SHA-256 of `input` as four words, written by OpenSSL straight into them.
func sha256Digest(_ input: Span<UInt8>) -> SHA256Digest {
    let ctx = DigestContexts.context(for: .sha256)
    var length: UInt32 = 0
    let digest = input.withUnsafeBufferPointer { input in
        SHA256Digest.written { out in
            EVP_DigestInit_ex2(ctx, SignatureAlgorithm.Digest.sha256.evpMD, nil) == 1
                && EVP_DigestUpdate(ctx, input.baseAddress, input.count) == 1
                && EVP_DigestFinal_ex(ctx, out, &length) == 1 && length == SHA256.byteCount
        }
    }
    guard let digest else { OpenSSLError.broken("SHA-256 digest") }
    return digest
}

/// Each thread's digest contexts, one per algorithm, made on first use and freed when
/// the thread exits: a hash re-initialises a live context instead of allocating one.
private final class DigestContexts {
    private static let perThread = ThreadLocal<DigestContexts>()
    private var sha256: OpaquePointer?
    private var sha384: OpaquePointer?
    private var sha512: OpaquePointer?

    deinit { for ctx in [sha256, sha384, sha512] { EVP_MD_CTX_free(ctx) } }

    static func context(for algorithm: SignatureAlgorithm.Digest) -> OpaquePointer {
        let mine = perThread.value(orMake: DigestContexts.init)
        switch algorithm {
        case .sha256: return mine.sha256 ?? make(&mine.sha256)
        case .sha384: return mine.sha384 ?? make(&mine.sha384)
        case .sha512: return mine.sha512 ?? make(&mine.sha512)
        }
    }

    private static func make(_ slot: inout OpaquePointer?) -> OpaquePointer {
        guard let ctx = EVP_MD_CTX_new() else { OpenSSLError.broken("EVP_MD_CTX_new") }
        slot = ctx
        return ctx
    }
}
