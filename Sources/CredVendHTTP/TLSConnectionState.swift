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
    /// Why the verify function failed the handshake, when it did.
    var refusal: TLSHandshakeOutcome?
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

    /// A connection that began a handshake and closed before finishing it counts as failed.
    func closed() {
        guard !established, helloSeen || refusal != nil else { return }
        observer?.tlsHandshake(refusal ?? .failed)
    }
}
