internal import COpenSSL

/// The EVP_PKEY behind a `VerifyingKey`, built from JWK parameters.
final class OpenSSLPublicKey: Sendable {
    let key: EVPKey
    /// Unique per key object for this process (per-thread verify contexts are found by it).
    let serial = RSAVerifyContexts.nextSerial()

    /// RSA from the big-endian `n` and `e`, both already checked by the facade.
    init(rsaModulus n: [UInt8], exponent e: [UInt8], operation: String) throws(OpenSSLError) {
        let nBN = n.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
        let eBN = e.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
        defer {
            BN_free(nBN)
            BN_free(eBN)
        }
        guard let nBN, let eBN else { throw .fromQueue(operation) }
        // The builder keeps pointers to the keys and values, so all stay alive until the key is made.
        let built = "n".withCString { nKey in
            "e".withCString { eKey in
                Self.fromPublicData(typeName: "RSA") { bld in
                    OSSL_PARAM_BLD_push_BN(bld, nKey, nBN) == 1 && OSSL_PARAM_BLD_push_BN(bld, eKey, eBN) == 1
                }
            }
        }
        guard let built else { throw .fromQueue(operation) }
        key = try EVPKey(owning: built, operation: operation)
        guard case .rsa = key.kind else { throw .refused(operation, "OpenSSL did not build an RSA key") }
    }

    /// EC from a SEC 1 uncompressed point on `curve`, validated explicitly (on the curve,
    /// not infinity, right order), whatever EVP_PKEY_fromdata already checked.
    init(ecCurve curve: ECCurve, point: [UInt8], operation: String) throws(OpenSSLError) {
        let built = "group".withCString { groupKey in
            "pub".withCString { pubKey in
                curve.groupName.withCString { group in
                    point.withUnsafeBufferPointer { pub in
                        Self.fromPublicData(typeName: "EC") { bld in
                            OSSL_PARAM_BLD_push_utf8_string(bld, groupKey, group, 0) == 1
                                && OSSL_PARAM_BLD_push_octet_string(bld, pubKey, pub.baseAddress, pub.count) == 1
                        }
                    }
                }
            }
        }
        guard let built else { throw .fromQueue(operation) }
        key = try EVPKey(owning: built, operation: operation)
        guard key.kind == .ec(curve), Self.publicCheck(key.pkey) else { throw .fromQueue(operation) }
    }

    private static func publicCheck(_ pkey: OpaquePointer) -> Bool {
        guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil) else { return false }
        defer { EVP_PKEY_CTX_free(ctx) }
        return EVP_PKEY_public_check(ctx) == 1
    }

    /// A public-only key from the parameters `push` adds, or nil (the reason is on the
    /// error queue); the caller owns the key. Whatever `push` points the builder at must
    /// outlive this call.
    private static func fromPublicData(typeName: String, push: (OpaquePointer) -> Bool) -> OpaquePointer? {
        guard let bld = OSSL_PARAM_BLD_new() else { return nil }
        defer { OSSL_PARAM_BLD_free(bld) }
        guard push(bld), let params = OSSL_PARAM_BLD_to_param(bld) else { return nil }
        defer { OSSL_PARAM_free(params) }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, typeName, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        var pkey: OpaquePointer?
        let publicKeySelection = Int32(
            OSSL_KEYMGMT_SELECT_PUBLIC_KEY | OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS
                | OSSL_KEYMGMT_SELECT_OTHER_PARAMETERS
        )  // EVP_PKEY_PUBLIC_KEY
        guard EVP_PKEY_fromdata_init(ctx) == 1, EVP_PKEY_fromdata(ctx, &pkey, publicKeySelection, params) == 1 else {
            EVP_PKEY_free(pkey)
            return nil
        }
        return pkey
    }

    /// ES256/ES384 over a DER signature, with a context of its own.
    func verifyECDSA<Message: Collection<UInt8>>(_ alg: SignatureAlgorithm, message: Message, der: [UInt8]) -> Bool {
        guard let ctx = EVP_MD_CTX_new() else {
            ERR_clear_error()
            return false
        }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, alg.digest.evpMD, nil, key.pkey) == 1 else {
            ERR_clear_error()
            return false
        }
        let rc = withContiguous(message) { msg in
            der.withUnsafeBufferPointer { sig in
                EVP_DigestVerify(ctx, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
            }
        }
        if rc != 1 { ERR_clear_error() }  // the error queue is per thread: never let it grow
        return rc == 1
    }

    /// RS256/384/512: the digest one-shot, then EVP_PKEY_verify on a context that this
    /// thread set up once for this key and algorithm. EVP_DigestVerifyInit per call
    /// spent ~5 us of a ~25 us check in OpenSSL 3's provider and method lookups (its
    /// name lookups take a process-wide read lock), on top of the RSA operation.
    func verifyRSA<Message: Collection<UInt8>>(_ alg: SignatureAlgorithm, message: Message, signature: [UInt8]) -> Bool
    {
        let hashed = digest(alg.digest, message)
        guard let ctx = RSAVerifyContexts.context(for: self, alg: alg) else {
            ERR_clear_error()
            return false
        }
        let rc = signature.withUnsafeBufferPointer { sig in
            hashed.withUnsafeBufferPointer { d in
                EVP_PKEY_verify(ctx, sig.baseAddress, sig.count, d.baseAddress, d.count)
            }
        }
        if rc != 1 { ERR_clear_error() }
        return rc == 1
    }

    /// A fresh verify context for this key: PKCS#1 v1.5 padding, `alg`'s digest.
    func makeRSAVerifyContext(_ alg: SignatureAlgorithm) -> OpaquePointer? {
        guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, key.pkey, nil) else { return nil }
        guard EVP_PKEY_verify_init(ctx) == 1, EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1,
            EVP_PKEY_CTX_set_signature_md(ctx, alg.digest.evpMD) == 1
        else {
            EVP_PKEY_CTX_free(ctx)
            return nil
        }
        return ctx
    }
}
