internal import COpenSSL

/// The two encodings of an ECDSA signature: the fixed-size r||s a JWS carries, and the
/// DER ECDSA-Sig-Value OpenSSL makes and verifies.
enum ECDSASignature {
    /// Raw r||s to DER; nil when it cannot be encoded.
    static func der(raw: [UInt8], coordinateSize size: Int) -> [UInt8]? {
        guard raw.count == 2 * size, let sig = ECDSA_SIG_new() else {
            ERR_clear_error()
            return nil
        }
        defer { ECDSA_SIG_free(sig) }
        let (r, s) = raw.withUnsafeBufferPointer { buf in
            (BN_bin2bn(buf.baseAddress, Int32(size), nil), BN_bin2bn(buf.baseAddress! + size, Int32(size), nil))
        }
        guard let r, let s, ECDSA_SIG_set0(sig, r, s) == 1 else {
            BN_free(r)
            BN_free(s)
            ERR_clear_error()
            return nil
        }
        let length = i2d_ECDSA_SIG(sig, nil)
        guard length > 0 else {
            ERR_clear_error()
            return nil
        }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buf -> Int32 in
            var cursor = buf.baseAddress
            return i2d_ECDSA_SIG(sig, &cursor)
        }
        guard written == length else {
            ERR_clear_error()
            return nil
        }
        return der
    }

    /// DER to raw r||s, each padded to `size` bytes.
    static func raw(der: [UInt8], coordinateSize size: Int, operation: String) throws(OpenSSLError) -> [UInt8] {
        let sig: OpaquePointer? = der.withUnsafeBufferPointer { buf in
            var cursor: UnsafePointer<UInt8>? = buf.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buf.count)
        }
        guard let sig else { throw .fromQueue(operation) }
        defer { ECDSA_SIG_free(sig) }
        var raw = [UInt8](repeating: 0, count: 2 * size)
        let ok = raw.withUnsafeMutableBufferPointer { out in
            BN_bn2binpad(ECDSA_SIG_get0_r(sig), out.baseAddress, Int32(size)) == Int32(size)
                && BN_bn2binpad(ECDSA_SIG_get0_s(sig), out.baseAddress! + size, Int32(size)) == Int32(size)
        }
        guard ok else { throw .fromQueue(operation) }
        return raw
    }
}
