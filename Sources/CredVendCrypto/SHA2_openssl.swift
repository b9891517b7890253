internal import COpenSSL
import CredVendSystem

/// One-shot SHA-2 on this thread's context for `algorithm`: init with the fetched digest,
/// one update, final. A failure stops the process (see `SHA256`).
func digest<Bytes: Collection<UInt8>>(_ algorithm: SignatureAlgorithm.Digest, _ input: Bytes) -> [UInt8] {
    let ctx = DigestContexts.context(for: algorithm)
    var out = [UInt8](repeating: 0, count: algorithm.byteCount)
    var length: UInt32 = 0
    let hashed = withContiguous(input) { buf in
        EVP_DigestInit_ex2(ctx, algorithm.evpMD, nil) == 1 && EVP_DigestUpdate(ctx, buf.baseAddress, buf.count) == 1
    }
    let finished = hashed && out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(ctx, $0.baseAddress, &length) } == 1
    guard finished, Int(length) == out.count else { OpenSSLError.broken("\(algorithm.openSSLName) digest") }
    return out
}

/// Each thread's digest contexts, one per algorithm, made on first use and freed when
/// the thread exits: a hash re-initialises a live context instead of allocating one.
private final class DigestContexts {
    private static let perThread = ThreadLocal<DigestContexts>()
    private var contexts: [SignatureAlgorithm.Digest: OpaquePointer] = [:]

    deinit { for ctx in contexts.values { EVP_MD_CTX_free(ctx) } }

    static func context(for algorithm: SignatureAlgorithm.Digest) -> OpaquePointer {
        let mine: DigestContexts
        if let existing = perThread.value {
            mine = existing
        } else {
            mine = DigestContexts()
            perThread.value = mine
        }
        if let ctx = mine.contexts[algorithm] { return ctx }
        guard let ctx = EVP_MD_CTX_new() else { OpenSSLError.broken("EVP_MD_CTX_new") }
        mine.contexts[algorithm] = ctx
        return ctx
    }
}
