internal import COpenSSL

/// The EVP_PKEY behind a `SigningKey`: generated, or read from PEM.
final class OpenSSLPrivateKey: Sendable {
    let key: EVPKey

    init(generating kind: KeyKind, operation: String) throws(OpenSSLError) {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, kind.openSSLTypeName, nil) else { throw .fromQueue(operation) }
        defer { EVP_PKEY_CTX_free(ctx) }
        let configured: Bool
        switch kind {
        case .rsa(let bits):
            configured = EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, Int32(bits)) == 1
        case .ec(let curve):
            configured = EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_group_name(ctx, curve.groupName) == 1
        }
        var pkey: OpaquePointer?
        guard configured, EVP_PKEY_generate(ctx, &pkey) == 1, let pkey else {
            EVP_PKEY_free(pkey)
            throw .fromQueue(operation)
        }
        key = try EVPKey(owning: pkey, operation: operation)
    }

    init(pem: [UInt8], operation: String) throws(OpenSSLError) {
        key = try EVPKey(owning: try PEM.readPrivateKey(pem, operation: operation), operation: operation)
    }

    /// Unencrypted PKCS#8 PEM.
    func pkcs8PEM(operation: String) throws(OpenSSLError) -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw .fromQueue(operation) }
        defer { BIO_free_all(bio) }
        guard PEM_write_bio_PrivateKey(bio, key.pkey, nil, nil, 0, nil, nil) == 1 else { throw .fromQueue(operation) }
        let pending = Int(BIO_ctrl_pending(bio))
        guard pending > 0, pending <= Int(Int32.max) else { throw .fromQueue(operation) }
        var out = [UInt8](repeating: 0, count: pending)
        let read = out.withUnsafeMutableBufferPointer { BIO_read(bio, $0.baseAddress, Int32(pending)) }
        guard Int(read) == pending else { throw .fromQueue(operation) }
        return out
    }

    /// A big-number parameter of the key (`n`, `e`, `qx`, `qy`), big-endian, left-padded to `size`.
    func bignumParameter(_ name: String, padTo size: Int) throws(OpenSSLError) -> [UInt8] {
        var bn: OpaquePointer?
        let ok = EVP_PKEY_get_bn_param(key.pkey, name, &bn) == 1
        defer { BN_free(bn) }
        guard ok, let bn else { throw .fromQueue("reading key parameter \(name)") }
        let length = max(size, (Int(BN_num_bits(bn)) + 7) / 8)
        var out = [UInt8](repeating: 0, count: length)
        let written = out.withUnsafeMutableBufferPointer { BN_bn2binpad(bn, $0.baseAddress, Int32(length)) }
        guard Int(written) == length else { throw .fromQueue("reading key parameter \(name)") }
        return out
    }

    /// A signature of `message` with `digest`, as OpenSSL makes it (DER for ECDSA).
    func sign<Message: Collection<UInt8>>(
        _ digest: SignatureAlgorithm.Digest,
        _ message: Message,
        operation: String
    ) throws(OpenSSLError) -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw .fromQueue(operation) }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, digest.evpMD, nil, key.pkey) == 1 else { throw .fromQueue(operation) }
        var signature: [UInt8] = []
        let ok = withContiguous(message) { msg -> Bool in
            var length = 0
            guard EVP_DigestSign(ctx, nil, &length, msg.baseAddress, msg.count) == 1 else { return false }
            signature = [UInt8](repeating: 0, count: length)
            let rc = signature.withUnsafeMutableBufferPointer {
                EVP_DigestSign(ctx, $0.baseAddress, &length, msg.baseAddress, msg.count)
            }
            guard rc == 1, length <= signature.count else { return false }
            signature.removeLast(signature.count - length)
            return true
        }
        guard ok else { throw .fromQueue(operation) }
        return signature
    }
}
