import CredVendCrypto

extension ClientCertificate {
    /// From the verified certificate's DER: the RFC 8705 thumbprint is computed here, with
    /// the package's SHA-256, so the transport and the token check cannot disagree on it.
    public init(der: [UInt8], subject: String) {
        self.init(thumbprintSHA256: Base64URL.encode(SHA256.hash(der)), subject: subject)
    }
}
