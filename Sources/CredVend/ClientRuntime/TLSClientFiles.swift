public import CredVendCore
import CredVendCrypto
import CredVendSystem
import Foundation

/// Reads a client's TLS files once at start, so a wrong path or a key that does not
/// belong to the certificate is a message naming the setting, not a TLS failure later.
public enum TLSClientFiles {
    /// The names messages give the settings (`CREDVEND_CA_FILE (--ca-file)`, say).
    public struct Names: Sendable {
        public var caFile: String
        public var certificate: String
        public var key: String

        public init(caFile: String, certificate: String, key: String) {
            self.caFile = caFile
            self.certificate = certificate
            self.key = key
        }

        public static let client = Names(
            caFile: ClientSettingKey.caFile.displayName,
            certificate: ClientSettingKey.clientCertificate.displayName,
            key: ClientSettingKey.clientKey.displayName
        )
    }

    public static func check(_ tls: TLSClientOptions, names: Names = .client) throws(ConfigurationError) {
        if let path = tls.caFile {
            let pem = try read(path, names.caFile)
            do {
                _ = try X509PEM.certificateCount(pem)
            } catch {
                throw ConfigurationError("\(names.caFile) \(path) is not a PEM CA certificate: \(error.detail)")
            }
        }
        guard let certificatePath = tls.certificateFile else { return }
        let certificate = try read(certificatePath, names.certificate)
        do {
            _ = try X509PEM.certificateCount(certificate)
        } catch {
            throw ConfigurationError(
                "\(names.certificate) \(certificatePath) is not a PEM certificate: \(error.detail)"
            )
        }
        let keyPath = tls.keyFile ?? certificatePath
        let keyName = tls.keyFile == nil ? names.certificate : names.key
        let key = try read(keyPath, keyName)
        let matches: Bool
        do {
            matches = try X509PEM.keyMatchesCertificate(certificatePEM: certificate, keyPEM: key)
        } catch {
            throw ConfigurationError(
                "\(keyName) \(keyPath) holds no unencrypted PEM private key: \(error.detail)"
                    + (tls.keyFile == nil ? "; give the key in \(names.key)" : "")
            )
        }
        guard matches else {
            throw ConfigurationError(
                "\(keyName) \(keyPath) does not match the certificate in \(names.certificate) \(certificatePath): "
                    + "give the private key that belongs to this certificate"
            )
        }
    }

    private static func read(_ path: String, _ name: String) throws(ConfigurationError) -> [UInt8] {
        guard let kind = FileKind(path: path) else { throw ConfigurationError("\(name) \(path) does not exist") }
        guard kind != .directory else { throw ConfigurationError("\(name) \(path) is a directory, not a PEM file") }
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else {
            throw ConfigurationError("\(name) \(path) is empty or not readable (check its permissions)")
        }
        return Array(data)
    }
}
