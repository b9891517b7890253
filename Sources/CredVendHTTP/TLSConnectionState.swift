import CredVendCore

/// One TLS connection's handshake, from MHD's STARTED notification to its CLOSED one:
/// the material it was accepted with, how its handshake went, and the client certificate
/// it verified (which every request on it carries). GnuTLS.swift's callbacks fill it in.
/// @unchecked Sendable: the fields are touched only on the worker thread that runs the
/// connection (MHD runs a connection's callbacks, GnuTLS's within them, on that thread).
final class TLSConnectionState: @unchecked Sendable {
    let material: TLSMaterial
    private let observer: (any HTTPServerObserver)?
    private var helloSeen = false
    private var established = false
    private var refused = false
    var clientCertificate: ClientCertificate?

    init(material: TLSMaterial, observer: (any HTTPServerObserver)?) {
        self.material = material
        self.observer = observer
    }

    func helloReceived() { helloSeen = true }

    func finished() {
        guard !established else { return }
        established = true
        observer?.tlsHandshake(.ok)
    }

    /// The verify function fails the handshake for `reason`: counted at once, before the
    /// client can see the connection close.
    func refuse(_ reason: TLSHandshakeOutcome) {
        guard !refused, !established else { return }
        refused = true
        observer?.tlsHandshake(reason)
    }

    /// A connection that began a handshake and closed before finishing it counts as failed
    /// (unless it was refused for its certificate, counted then).
    func closed() {
        guard helloSeen, !established, !refused else { return }
        observer?.tlsHandshake(.failed)
    }
}
