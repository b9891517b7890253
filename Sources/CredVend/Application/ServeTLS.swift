import CredVendCore
import CredVendHTTP
import Foundation
import Logging

/// The main listener's TLS as `credvend serve` runs it: the files checked before anything
/// starts, reloaded on SIGHUP (a failure keeps the material in force), and a warning in the
/// log from 14 days before the certificate expires (at start, on reload and daily).
struct ServeTLS: Sendable {
    private let server: HTTPServer
    private let logger: Logger

    /// Loads the configured files once, so a bad one is refused before anything listens.
    static func check(_ tls: TLSServerConfiguration) throws(ConfigurationError) {
        do {
            _ = try HTTPServer.checkTLS(tls)
        } catch {
            throw ConfigurationError(error.message)
        }
    }

    init(server: HTTPServer, logger: Logger) {
        self.server = server
        self.logger = logger
    }

    /// The server certificate new connections get (`/admin/v1/info`); nil once stopped.
    var certificate: TLSCertificateSummary? { server.tlsCertificate }

    func reload() {
        do {
            guard let fresh = try server.reloadTLS() else { return }
            logger.info("TLS certificate, key and client CAs reloaded for new connections", metadata: metadata(fresh))
            warnIfExpiring(now: Date())
        } catch {
            logger.error(
                "TLS material not reloaded; new connections keep getting the previous certificate",
                metadata: ["error": "\(error.message)"].merging(certificate.map(metadata) ?? [:]) { a, _ in a }
            )
        }
    }

    func warnIfExpiring(now: Date) {
        guard let c = certificate, let days = c.daysLeftIfExpiringSoon(now: now) else { return }
        let what = days < 0 ? "has expired" : "expires within 14 days"
        logger.warning(
            "TLS certificate \(what); replace its files and send SIGHUP",
            metadata: metadata(c).merging(["days_left": "\(days)"]) { a, _ in a }
        )
    }

    /// The daily expiry check (it also runs once at start).
    var expiryWatch: PeriodicService {
        PeriodicService(name: "credvend-tls-expiry") {
            warnIfExpiring(now: Date())
            return 86400
        }
    }

    func metadata(_ c: TLSCertificateSummary) -> Logger.Metadata {
        ["tls_subject": "\(c.subject)", "tls_not_after": "\(ISO8601.string(c.notAfter))"]
    }
}
