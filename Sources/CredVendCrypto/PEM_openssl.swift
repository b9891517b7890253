internal import COpenSSL

/// Reading PEM text through a memory BIO.
enum PEM {
    /// Runs `body` with a read-only memory BIO over `bytes`. The BIO reads the bytes in
    /// place, so it lives and dies inside this call.
    static func withMemoryBIO<R>(
        _ bytes: [UInt8],
        operation: String,
        _ body: (OpaquePointer) -> R
    ) throws(OpenSSLError) -> R {
        guard !bytes.isEmpty, bytes.count < Int(Int32.max) else {
            throw .refused(operation, "the PEM text is empty or too large")
        }
        let result: R? = bytes.withUnsafeBufferPointer { buf in
            guard let bio = BIO_new_mem_buf(buf.baseAddress, Int32(buf.count)) else { return nil }
            defer { BIO_free_all(bio) }
            return body(bio)
        }
        guard let result else { throw .fromQueue(operation) }
        return result
    }

    /// An unencrypted PEM private key of any type OpenSSL reads; the caller owns (frees) it.
    /// Encrypted keys are refused rather than prompting for a passphrase on the terminal.
    static func readPrivateKey(_ bytes: [UInt8], operation: String) throws(OpenSSLError) -> OpaquePointer {
        let pkey = try withMemoryBIO(bytes, operation: operation) { bio in
            PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
        }
        guard let pkey else {
            throw .fromQueue(operation + " (expected an unencrypted PKCS#8 or traditional RSA/EC PEM private key)")
        }
        return pkey
    }

    /// How many X.509 certificates OpenSSL reads from `bytes` before the first that it cannot.
    static func certificateCount(_ bytes: [UInt8], operation: String) throws(OpenSSLError) -> Int {
        let count = try withMemoryBIO(bytes, operation: operation) { bio -> Int in
            var n = 0
            while let cert = PEM_read_bio_X509(bio, nil, nil, nil) {
                X509_free(cert)
                n += 1
            }
            return n
        }
        ERR_clear_error()  // the loop always ends on "no start line"
        return count
    }

    /// The DER encoding of the first certificate in `bytes` (what an RFC 8705 thumbprint hashes).
    static func firstCertificateDER(_ bytes: [UInt8], operation: String) throws(OpenSSLError) -> [UInt8] {
        let certificate = try withMemoryBIO(bytes, operation: operation) { bio in
            PEM_read_bio_X509(bio, nil, nil, nil)
        }
        guard let certificate else { throw .fromQueue(operation) }
        defer { X509_free(certificate) }
        let length = i2d_X509(certificate, nil)
        guard length > 0 else { throw .fromQueue(operation + " (DER encoding)") }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress  // i2d_X509 writes here and moves the cursor past its output
            return i2d_X509(certificate, &cursor)
        }
        guard written == length else { throw .fromQueue(operation + " (DER encoding)") }
        return der
    }

    /// Whether the private key in `keyPEM` belongs to the first certificate in `certificatePEM`.
    static func keyMatchesCertificate(certificatePEM: [UInt8], keyPEM: [UInt8]) throws(OpenSSLError) -> Bool {
        let certificate = try withMemoryBIO(certificatePEM, operation: "PEM certificate") { bio in
            PEM_read_bio_X509(bio, nil, nil, nil)
        }
        guard let certificate else { throw .fromQueue("PEM certificate") }
        defer { X509_free(certificate) }
        let key = try readPrivateKey(keyPEM, operation: "PEM private key")
        defer { EVP_PKEY_free(key) }
        let matches = X509_check_private_key(certificate, key) == 1
        ERR_clear_error()  // a mismatch leaves "key values mismatch" on the queue
        return matches
    }
}
