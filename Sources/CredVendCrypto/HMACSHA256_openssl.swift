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
        withContiguous(message) { m in Result { () throws(OpenSSLError) in try hmacSHA256(k, m) } }
    }
    return try mac.get()
}

/// `hmacSHA256` of two arrays: not generic, so the signing path has no generic dispatch.
func hmacSHA256(key: [UInt8], message: [UInt8]) throws(OpenSSLError) -> [UInt8] {
    let mac = key.withUnsafeBufferPointer { k in
        message.withUnsafeBufferPointer { m in Result { () throws(OpenSSLError) in try hmacSHA256(k, m) } }
    }
    return try mac.get()
}

/// `hmacSHA256` over two buffers.
private func hmacSHA256(
    _ key: UnsafeBufferPointer<UInt8>,
    _ message: UnsafeBufferPointer<UInt8>
) throws(OpenSSLError) -> [UInt8] {
    let ctx = HMACContext.current()
    let placeholder: UInt8 = 0
    // A null key tells EVP_MAC_init to keep the previous call's key: an empty key
    // must still be a pointer.
    let keyed = withUnsafePointer(to: placeholder) { EVP_MAC_init(ctx, key.baseAddress ?? $0, key.count, nil) }
    guard keyed == 1 else { throw .fromQueue("HMAC-SHA256 key set-up") }
    var length = 0
    var finished = false
    let out = [UInt8](unsafeUninitializedCapacity: HMACSHA256.byteCount) { out, initialized in
        finished =
            EVP_MAC_update(ctx, message.baseAddress, message.count) == 1
            && EVP_MAC_final(ctx, out.baseAddress, &length, out.count) == 1 && length == out.count
        initialized = finished ? length : 0
    }
    guard finished else { throw .fromQueue("HMAC-SHA256") }
    return out
}

/// Each thread's HMAC context, its digest set to SHA-256 once (setting it per call would
/// fetch SHA-256 by name each time); freed when the thread exits.
private final class HMACContext {
    private static let perThread = ThreadLocal<HMACContext>()
    let ctx: OpaquePointer

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

    static func current() -> OpaquePointer {
        perThread.value(orMake: HMACContext.init).ctx
    }
}
