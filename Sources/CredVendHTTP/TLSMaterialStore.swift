import CredVendCore
import CredVendSync
import Foundation

/// A TLS listener's current material, read from its files at start and on every reload.
/// A reload that fails leaves the current material in place; a new connection takes
/// whatever is current when it is accepted, and keeps it for its life.
final class TLSMaterialStore: Sendable {
    let configuration: TLSServerConfiguration
    private let current: Locked<TLSMaterial>

    init(_ configuration: TLSServerConfiguration) throws(HTTPServerError) {
        self.configuration = configuration
        current = Locked(try Self.load(configuration))
    }

    var material: TLSMaterial { current.withLock { $0 } }

    /// Reads the files again; on success new connections get the new material.
    func reload() throws(HTTPServerError) -> TLSCertificateSummary {
        let fresh = try Self.load(configuration)
        current.withLock { $0 = fresh }
        return fresh.summary
    }

    static func load(_ c: TLSServerConfiguration) throws(HTTPServerError) -> TLSMaterial {
        let certificate = try read(c.certificateFile, "TLS certificate file")
        try checkPrivate(c.keyFile)
        let key = try read(c.keyFile, "TLS key file")
        let clientCA = try c.clientCAFile.map { path throws(HTTPServerError) in try read(path, "client CA file") }
        do {
            return try TLSMaterial(
                certificatePEM: certificate,
                keyPEM: key,
                clientCAPEM: clientCA,
                configuration: c
            )
        } catch {
            throw HTTPServerError(.tlsMaterialRefused, error.message)
        }
    }

    private static func read(_ path: String, _ what: String) throws(HTTPServerError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else {
            throw HTTPServerError(.tlsMaterialRefused, "\(what) \(path) does not exist, cannot be read or is empty")
        }
        return Array(data)
    }

    /// The key file must be a regular file no one but its owner may access (0600 or 0400).
    private static func checkPrivate(_ path: String) throws(HTTPServerError) {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved) else {
            throw HTTPServerError(.tlsMaterialRefused, "TLS key file \(path) does not exist or cannot be read")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw HTTPServerError(.tlsMaterialRefused, "TLS key file \(path) is not a regular file")
        }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        guard mode & 0o077 == 0 else {
            throw HTTPServerError(
                .tlsMaterialRefused,
                "TLS key file \(path) has mode 0\(String(mode & 0o777, radix: 8)): group or others may read it; "
                    + "run chmod 600 \(path)"
            )
        }
    }
}
