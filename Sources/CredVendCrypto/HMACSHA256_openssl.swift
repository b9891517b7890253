internal import COpenSSL
import CredVendSystem

private let hmac = FetchedMAC("HMAC")

/// HMAC-SHA256 on this thread's context: init with the key, one update, final. The
/// one-shot `HMAC()` it replaces fetched HMAC and SHA-256 by name on every call.
func hmacSHA256<Key: Collection<UInt8>, Message: Collection<UInt8>>(
    key: Key,
    message: Message
) throws(OpenSSLError) -> [UInt8] {
    let ctx = HMACContext.current()
    let placeholder: UInt8 = 0
    let keyed = withContiguous(key) { k in
        // A null key tells EVP_MAC_init to keep the previous call's key: an empty key
        // must still be a pointer.
        withUnsafePointer(to: placeholder) { EVP_MAC_init(ctx, k.baseAddress ?? $0, k.count, nil) }
    }
    guard keyed == 1 else { throw .fromQueue("HMAC-SHA256 key set-up") }
    var out = [UInt8](repeating: 0, count: HMACSHA256.byteCount)
    var length = 0
    let updated = withContiguous(message) { EVP_MAC_update(ctx, $0.baseAddress, $0.count) } == 1
    let finished =
        updated && out.withUnsafeMutableBufferPointer { EVP_MAC_final(ctx, $0.baseAddress, &length, $0.count) } == 1
    guard finished, length == out.count else { throw .fromQueue("HMAC-SHA256") }
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
