internal import COpenSSL
import CredVendSystem

private let hmac = FetchedMAC("HMAC")

/// HMAC-SHA256 on this thread's context: init with the key, one update, final. The
/// one-shot `HMAC()` it replaces fetched HMAC and SHA-256 by name on every call.
func hmacSHA256<Key: Collection<UInt8>, Message: Collection<UInt8>>(
    key: Key,
    message: Message
) throws(OpenSSLError) -> [UInt8] {
    let mac = withContiguous(key) { k in
        withContiguous(message) { m in Result { () throws(OpenSSLError) in try hmacSHA256(k, remembering: nil, m) } }
    }
    return try mac.get().bytes
}

/// `hmacSHA256` over two spans, as words.
func hmacSHA256(key: Span<UInt8>, message: Span<UInt8>) throws(OpenSSLError) -> SHA256Digest {
    let mac = key.withUnsafeBufferPointer { k in
        message.withUnsafeBufferPointer { m in
            Result { () throws(OpenSSLError) in try hmacSHA256(k, remembering: nil, m) }
        }
    }
    return try mac.get()
}

/// `hmacSHA256` under a 32-byte key the thread's context remembers.
func hmacSHA256(key: SHA256Digest, message: Span<UInt8>) throws(OpenSSLError) -> SHA256Digest {
    let mac = key.withBytes { k in
        message.withUnsafeBufferPointer { m in
            Result { () throws(OpenSSLError) in try hmacSHA256(k, remembering: key, m) }
        }
    }
    return try mac.get()
}

/// `hmacSHA256` over two buffers. With `remembered` (the key as words), a context last
/// keyed with the same key is only reset; the key is compared in constant time.
private func hmacSHA256(
    _ key: UnsafeBufferPointer<UInt8>,
    remembering remembered: SHA256Digest?,
    _ message: UnsafeBufferPointer<UInt8>
) throws(OpenSSLError) -> SHA256Digest {
    let context = HMACContext.current()
    let ctx = context.ctx
    let sameKey = remembered.map { context.lastKey?.equalsInConstantTime($0) ?? false } ?? false
    context.lastKey = nil
    let keyed: Int32
    if sameKey {
        keyed = EVP_MAC_init(ctx, nil, 0, nil)  // a null key: keep the key, reset the state
    } else {
        // An empty key must still be a pointer, or EVP_MAC_init keeps the previous key.
        let placeholder: UInt8 = 0
        keyed = withUnsafePointer(to: placeholder) { EVP_MAC_init(ctx, key.baseAddress ?? $0, key.count, nil) }
    }
    guard keyed == 1 else { throw .fromQueue("HMAC-SHA256 key set-up") }
    var length = 0
    let code = SHA256Digest.written { out in
        EVP_MAC_update(ctx, message.baseAddress, message.count) == 1
            && EVP_MAC_final(ctx, out, &length, HMACSHA256.byteCount) == 1 && length == HMACSHA256.byteCount
    }
    guard let code else { throw .fromQueue("HMAC-SHA256") }
    context.lastKey = remembered
    return code
}

/// Each thread's HMAC context, its digest set to SHA-256 once (setting it per call would
/// fetch SHA-256 by name each time); freed when the thread exits.
private final class HMACContext {
    private static let perThread = ThreadLocal<HMACContext>()
    let ctx: OpaquePointer
    /// The 32-byte key `ctx` holds, when it was keyed with one given as words.
    var lastKey: SHA256Digest?

    private init() {
        guard let ctx = EVP_MAC_CTX_new(hmac.mac) else { OpenSSLError.broken("EVP_MAC_CTX_new") }
        // Both strings must outlive the OSSL_PARAM that points at them: a literal passed
        // straight to OSSL_PARAM_construct_utf8_string is a temporary freed on return
        // (AddressSanitizer caught the key read after free in EVP_MAC_CTX_set_params).
        let key = Array("digest".utf8CString)
        var name = Array(SignatureAlgorithm.Digest.sha256.openSSLName.utf8CString)
        let set = key.withUnsafeBufferPointer { key in
            name.withUnsafeMutableBufferPointer { value in
                var params = [
                    OSSL_PARAM_construct_utf8_string(key.baseAddress, value.baseAddress, 0), OSSL_PARAM_construct_end(),
                ]
                return EVP_MAC_CTX_set_params(ctx, &params)
            }
        }
        guard set == 1 else {
            EVP_MAC_CTX_free(ctx)
            OpenSSLError.broken("setting the HMAC digest")
        }
        self.ctx = ctx
    }

    deinit { EVP_MAC_CTX_free(ctx) }

    static func current() -> HMACContext {
        perThread.value(orMake: HMACContext.init)
    }
}
