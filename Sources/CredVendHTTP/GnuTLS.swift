// The only file that imports CGnuTLS: what libmicrohttpd's HTTPS (MHD_USE_TLS) cannot be
// told through its options. MHD creates and drives each session; before the handshake
// (its STARTED notification) `GnuTLSSession.prepare` points the session at credvend's
// per-connection state, and from then on GnuTLS calls back here:
//   - the certificate retrieval (MHD_OPTION_HTTPS_CERT_CALLBACK, once per handshake) hands
//     out the chain and key that were current when the connection was accepted, so a
//     reload (SIGHUP) reaches new connections without restarting the daemon;
//   - the verify function checks the client's chain during the handshake against a trust
//     list of credvend's own (not MHD's), so a refused client never gets a connection;
//   - the handshake hook sees the ClientHello and the client's Finished, for the metrics.
// MHD 0.9.75 already offers ALPN http/1.1 (and http/1.0) and uses the session's user
// pointer only for PSK, which is not used: the pointer is credvend's. It enables no session
// resumption (no TLS 1.2 session cache, no TLS 1.3 tickets), so every connection runs the
// full handshake and the verify function: a resumed session would skip it.
internal import CGnuTLS
import CredVendCore
import Foundation

/// Why GnuTLS refused a certificate, key or CA list (with gnutls_strerror's words).
struct GnuTLSError: Error, CustomStringConvertible, Sendable {
    let message: String
    var description: String { message }

    init(_ message: String) { self.message = message }
    init(_ message: String, code: Int32) {
        self.message = "\(message) (GnuTLS: \(String(cString: gnutls_strerror(code))))"
    }
}

/// Makes the C call with `bytes` as a gnutls_datum_t (which GnuTLS only reads: no copy of a
/// key is made for it); the pointer never leaves the closure.
private func withDatum<R>(_ bytes: [UInt8], _ body: (UnsafePointer<gnutls_datum_t>) -> R) -> R {
    bytes.withUnsafeBufferPointer { buffer in
        var datum = gnutls_datum_t(data: UnsafeMutablePointer(mutating: buffer.baseAddress), size: UInt32(buffer.count))
        return body(&datum)
    }
}

/// Takes a buffer GnuTLS allocated and frees it.
private func takeBytes(_ datum: gnutls_datum_t) -> [UInt8] {
    defer { CGnuTLS_free(datum.data) }
    guard let data = datum.data else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: Int(datum.size)))
}

/// The RFC 4514 subject of a parsed certificate ("" when GnuTLS cannot print it).
private func subject(of certificate: gnutls_x509_crt_t) -> String {
    var dn = gnutls_datum_t()
    guard gnutls_x509_crt_get_dn3(certificate, &dn, 0) >= 0 else { return "" }
    return String(decoding: takeBytes(dn), as: UTF8.self)
}

/// The server's certificate chain as GnuTLS hands it to a peer.
/// @unchecked Sendable: never changed after init; handshakes only read it.
private final class CertificateChain: @unchecked Sendable {
    let certificates: UnsafeMutablePointer<gnutls_pcert_st>
    let count: UInt32
    let summary: TLSCertificateSummary

    init(pem: [UInt8]) throws(GnuTLSError) {
        var parsed: UnsafeMutablePointer<gnutls_x509_crt_t?>?
        var n: UInt32 = 0
        let imported = withDatum(pem) {
            gnutls_x509_crt_list_import2(&parsed, &n, $0, GNUTLS_X509_FMT_PEM, 0)
        }
        guard imported >= 0, let parsed, n > 0, let leaf = parsed[0] else {
            throw GnuTLSError("no PEM certificate could be read from it", code: imported < 0 ? imported : 0)
        }
        defer {
            for i in 0..<Int(n) { gnutls_x509_crt_deinit(parsed[i]) }
            CGnuTLS_free(parsed)
        }
        summary = TLSCertificateSummary(
            subject: subject(of: leaf),
            notBefore: Date(timeIntervalSince1970: TimeInterval(gnutls_x509_crt_get_activation_time(leaf))),
            notAfter: Date(timeIntervalSince1970: TimeInterval(gnutls_x509_crt_get_expiration_time(leaf)))
        )
        certificates = .allocate(capacity: Int(n))
        var converted = n
        let result = gnutls_pcert_import_x509_list(certificates, parsed, &converted, 0)
        guard result >= 0, converted == n else {
            certificates.deallocate()
            throw GnuTLSError("its certificates could not be prepared for TLS", code: result)
        }
        count = n
    }

    /// The public key of the leaf certificate, DER (SubjectPublicKeyInfo).
    func leafPublicKey() throws(GnuTLSError) -> [UInt8] {
        var der = gnutls_datum_t()
        let result = gnutls_pubkey_export2(certificates[0].pubkey, GNUTLS_X509_FMT_DER, &der)
        guard result >= 0 else { throw GnuTLSError("the certificate's public key cannot be read", code: result) }
        return takeBytes(der)
    }

    deinit {
        for i in 0..<Int(count) { gnutls_pcert_deinit(certificates + i) }
        certificates.deallocate()
    }
}

/// The server's private key.
/// @unchecked Sendable: never changed after init; GnuTLS signs with it from several sessions at once.
private final class PrivateKey: @unchecked Sendable {
    let key: gnutls_privkey_t

    init(pem: [UInt8]) throws(GnuTLSError) {
        var made: gnutls_privkey_t?
        let initialized = gnutls_privkey_init(&made)
        guard initialized >= 0, let made else { throw GnuTLSError("no memory for a key", code: initialized) }
        let imported = withDatum(pem) { gnutls_privkey_import_x509_raw(made, $0, GNUTLS_X509_FMT_PEM, nil, 0) }
        guard imported >= 0 else {
            gnutls_privkey_deinit(made)
            throw GnuTLSError("no unencrypted PEM private key could be read from it", code: imported)
        }
        key = made
    }

    /// The matching public key, DER (SubjectPublicKeyInfo).
    func publicKey() throws(GnuTLSError) -> [UInt8] {
        var pub: gnutls_pubkey_t?
        let initialized = gnutls_pubkey_init(&pub)
        guard initialized >= 0, let pub else { throw GnuTLSError("no memory for a key", code: initialized) }
        defer { gnutls_pubkey_deinit(pub) }
        let imported = gnutls_pubkey_import_privkey(pub, key, 0, 0)
        guard imported >= 0 else { throw GnuTLSError("its public key cannot be derived", code: imported) }
        var der = gnutls_datum_t()
        let exported = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der)
        guard exported >= 0 else { throw GnuTLSError("its public key cannot be exported", code: exported) }
        return takeBytes(der)
    }

    deinit { gnutls_privkey_deinit(key) }
}

/// The CAs client certificates must chain to.
/// @unchecked Sendable: never changed after init; verification only reads it.
private final class TrustList: @unchecked Sendable {
    let list: gnutls_x509_trust_list_t

    init(pem: [UInt8]) throws(GnuTLSError) {
        var made: gnutls_x509_trust_list_t?
        let initialized = gnutls_x509_trust_list_init(&made, 0)
        guard initialized >= 0, let made else { throw GnuTLSError("no memory for a trust list", code: initialized) }
        let added = withDatum(pem) { gnutls_x509_trust_list_add_trust_mem(made, $0, nil, GNUTLS_X509_FMT_PEM, 0, 0) }
        guard added > 0 else {
            gnutls_x509_trust_list_deinit(made, 1)
            throw GnuTLSError("no PEM CA certificate could be read from it", code: added < 0 ? added : 0)
        }
        list = made
    }

    /// The client's certificate when `chain` (DER, leaf first, as the peer sent it) verifies
    /// now for TLS client authentication; nil otherwise.
    func verifiedClient(_ chain: UnsafePointer<gnutls_datum_t>, count: Int) -> ClientCertificate? {
        var parsed: [gnutls_x509_crt_t?] = []
        defer { for crt in parsed { gnutls_x509_crt_deinit(crt) } }
        for i in 0..<min(count, 16) {
            var crt: gnutls_x509_crt_t?
            guard gnutls_x509_crt_init(&crt) >= 0, let crt else { return nil }
            parsed.append(crt)
            guard gnutls_x509_crt_import(crt, chain + i, GNUTLS_X509_FMT_DER) >= 0 else { return nil }
        }
        var status: UInt32 = 0
        let result = GNUTLS_KP_TLS_WWW_CLIENT.withCString { purpose in
            var data = gnutls_typed_vdata_st(
                type: GNUTLS_DT_KEY_PURPOSE_OID,
                data: UnsafeMutablePointer(mutating: UnsafeRawPointer(purpose).assumingMemoryBound(to: UInt8.self)),
                size: 0
            )
            return parsed.withUnsafeMutableBufferPointer {
                gnutls_x509_trust_list_verify_crt2(list, $0.baseAddress, UInt32($0.count), &data, 1, 0, &status, nil)
            }
        }
        guard result >= 0, status == 0, let leaf = parsed.first ?? nil else { return nil }
        let der = Array(UnsafeBufferPointer(start: chain.pointee.data, count: Int(chain.pointee.size)))
        return ClientCertificate(der: der, subject: subject(of: leaf))
    }

    deinit { gnutls_x509_trust_list_deinit(list, 1) }
}

/// One load of the listener's certificate, key and client CAs, parsed and checked (the key
/// must be the certificate's). Each connection keeps the material current at its accept.
final class TLSMaterial: Sendable {
    let summary: TLSCertificateSummary
    /// nil: client certificates are not asked for.
    let clientCertificates: TLSServerConfiguration.ClientCertificates?
    private let chain: CertificateChain
    private let key: PrivateKey
    private let trust: TrustList?

    /// Throws with what is wrong and in which of the configuration's files.
    init(
        certificatePEM: [UInt8],
        keyPEM: [UInt8],
        clientCAPEM: [UInt8]?,
        configuration files: TLSServerConfiguration
    ) throws(GnuTLSError) {
        let certificateFile = "TLS certificate file \(files.certificateFile)"
        let keyFile = "TLS key file \(files.keyFile)"
        func parsing<T>(_ file: String, _ make: () throws(GnuTLSError) -> T) throws(GnuTLSError) -> T {
            do { return try make() } catch { throw GnuTLSError("\(file): \(error.message)") }
        }
        chain = try parsing(certificateFile) { () throws(GnuTLSError) in try CertificateChain(pem: certificatePEM) }
        key = try parsing(keyFile) { () throws(GnuTLSError) in try PrivateKey(pem: keyPEM) }
        guard try parsing(keyFile, key.publicKey) == parsing(certificateFile, chain.leafPublicKey) else {
            throw GnuTLSError("\(keyFile) is not the key of \(certificateFile) (their public keys differ)")
        }
        trust = try clientCAPEM.map { pem throws(GnuTLSError) in
            try parsing("client CA file \(files.clientCAFile ?? "")") { () throws(GnuTLSError) in
                try TrustList(pem: pem)
            }
        }
        summary = chain.summary
        clientCertificates = trust == nil ? nil : files.clientCertificates
    }

    fileprivate func hand(
        _ certificates: UnsafeMutablePointer<UnsafeMutablePointer<gnutls_pcert_st>?>,
        _ count: UnsafeMutablePointer<UInt32>,
        _ privateKey: UnsafeMutablePointer<gnutls_privkey_t?>
    ) {
        certificates.pointee = chain.certificates
        count.pointee = chain.count
        privateKey.pointee = key.key
    }

    fileprivate func verifiedClient(_ chain: UnsafePointer<gnutls_datum_t>, count: Int) -> ClientCertificate? {
        trust?.verifiedClient(chain, count: count)
    }
}

/// What MHD.swift passes to libmicrohttpd for HTTPS, and the per-session set-up.
enum GnuTLSSession {
    /// TLS 1.3 first, then 1.2; AEAD ciphers only, forward-secret key exchange only (ECDHE);
    /// the server's order wins. X25519 is the first group because it is the only key share
    /// OpenSSL, Go and curl send: with NORMAL's order (P-256 first) each of their TLS 1.3
    /// handshakes cost a HelloRetryRequest, a round trip and a second key share.
    static let priorities =
        "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305"
        + ":-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"
        + ":-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-SECP521R1:%SERVER_PRECEDENCE"

    /// The value of MHD_OPTION_HTTPS_CERT_CALLBACK (a gnutls_certificate_retrieve_function2).
    static var certificateCallback: UnsafeMutableRawPointer {
        // The C typedef is a function type, which Swift imports as a (thick) Swift function
        // type: the C function pointer has to be spelled out.
        let callback:
            @convention(c) (
                gnutls_session_t?, UnsafePointer<gnutls_datum_t>?, Int32, UnsafePointer<gnutls_pk_algorithm_t>?,
                Int32, UnsafeMutablePointer<UnsafeMutablePointer<gnutls_pcert_st>?>?, UnsafeMutablePointer<UInt32>?,
                UnsafeMutablePointer<gnutls_privkey_t?>?
            ) -> Int32 = tlsRetrieveCertificate
        return unsafeBitCast(callback, to: UnsafeMutableRawPointer.self)
    }

    /// Points the session at `state` (which outlives it: MHD deinits the session before its
    /// CLOSED notification) and asks for a client certificate when client CAs are configured.
    /// The request is REQUEST at the GnuTLS level even when certificates are required, so
    /// that the verify function, not GnuTLS, refuses a missing one and can count it.
    static func prepare(_ rawSession: UnsafeMutableRawPointer, for state: TLSConnectionState) {
        let session = OpaquePointer(rawSession)
        gnutls_session_set_ptr(session, Unmanaged.passUnretained(state).toOpaque())
        // GNUTLS_HANDSHAKE_ANY is ((unsigned int)-1), a macro Swift does not import.
        gnutls_handshake_set_hook_function(session, UInt32.max, GNUTLS_HOOK_BOTH, tlsHandshakeHook)
        if state.material.clientCertificates != nil {
            gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST)
            gnutls_session_set_verify_function(session, tlsVerifyClient)
        }
    }
}

private func connectionState(_ session: gnutls_session_t?) -> TLSConnectionState? {
    guard let session, let raw = gnutls_session_get_ptr(session) else { return nil }
    return Unmanaged<TLSConnectionState>.fromOpaque(raw).takeUnretainedValue()
}

// MARK: C callbacks (free functions: nonisolated, no captures)

/// gnutls_certificate_retrieve_function2: the chain and key of the connection's material.
/// GnuTLS neither frees nor changes them; the material lives as long as the connection.
private func tlsRetrieveCertificate(
    _ session: gnutls_session_t?,
    _ requestedCAs: UnsafePointer<gnutls_datum_t>?,
    _ requestedCount: Int32,
    _ algorithms: UnsafePointer<gnutls_pk_algorithm_t>?,
    _ algorithmCount: Int32,
    _ certificates: UnsafeMutablePointer<UnsafeMutablePointer<gnutls_pcert_st>?>?,
    _ count: UnsafeMutablePointer<UInt32>?,
    _ privateKey: UnsafeMutablePointer<gnutls_privkey_t?>?
) -> Int32 {
    guard let state = connectionState(session), let certificates, let count, let privateKey else { return -1 }
    state.material.hand(certificates, count, privateKey)
    return 0
}

/// gnutls_certificate_verify_function, run in the handshake once the client's Certificate
/// message is in: non-zero fails the handshake.
private func tlsVerifyClient(_ session: gnutls_session_t?) -> Int32 {
    guard let session, let state = connectionState(session) else { return -1 }
    var count: UInt32 = 0
    guard let chain = gnutls_certificate_get_peers(session, &count), count > 0 else {
        guard state.material.clientCertificates != .required else {
            state.refuse(.clientCertificateMissing)
            return -1
        }
        return 0
    }
    guard gnutls_certificate_type_get2(session, GNUTLS_CTYPE_CLIENT) == GNUTLS_CRT_X509,
        let verified = state.material.verifiedClient(chain, count: Int(count))
    else {
        state.refuse(.clientCertificateInvalid)
        return -1
    }
    state.clientCertificate = verified
    return 0
}

/// gnutls_handshake_hook_func: the ClientHello starts a handshake worth counting, the
/// client's Finished ends it (TLS 1.3: its last message; 1.2: after its certificate).
private func tlsHandshakeHook(
    _ session: gnutls_session_t?,
    _ type: UInt32,
    _ when: UInt32,
    _ incoming: UInt32,
    _ message: UnsafePointer<gnutls_datum_t>?
) -> Int32 {
    guard incoming != 0, let state = connectionState(session) else { return 0 }
    if type == GNUTLS_HANDSHAKE_CLIENT_HELLO.rawValue && Int32(bitPattern: when) == GNUTLS_HOOK_PRE {
        state.helloReceived()
    } else if type == GNUTLS_HANDSHAKE_FINISHED.rawValue && Int32(bitPattern: when) == GNUTLS_HOOK_POST {
        state.finished()
    }
    return 0
}
