internal import COpenSSL
import CredVendSystem
import Synchronization

private let serials = Atomic<UInt64>(0)

/// Each thread's RSA verify contexts, a few (key, algorithm) pairs, most recent first.
/// A context holds its own reference to the key's EVP_PKEY, so one outliving its
/// `VerifyingKey` (a JWKS refresh) is still sound; it is freed when displaced or
/// when the thread exits. Keys are told apart by a serial number, never reused.
final class RSAVerifyContexts {
    private struct Slot {
        let serial: UInt64
        let alg: SignatureAlgorithm
        let ctx: OpaquePointer
    }

    private static let perThread = ThreadLocal<RSAVerifyContexts>()
    private static let capacity = 4
    private var slots: [Slot] = []

    deinit { for s in slots { EVP_PKEY_CTX_free(s.ctx) } }

    static func nextSerial() -> UInt64 { serials.add(1, ordering: .relaxed).newValue }

    static func context(for key: OpenSSLPublicKey, alg: SignatureAlgorithm) -> OpaquePointer? {
        let mine = perThread.value(orMake: RSAVerifyContexts.init)
        if let first = mine.slots.first, first.serial == key.serial, first.alg == alg { return first.ctx }
        if let i = mine.slots.firstIndex(where: { $0.serial == key.serial && $0.alg == alg }) {
            let slot = mine.slots.remove(at: i)
            mine.slots.insert(slot, at: 0)
            return slot.ctx
        }
        guard let ctx = key.makeRSAVerifyContext(alg) else { return nil }
        if mine.slots.count >= capacity { EVP_PKEY_CTX_free(mine.slots.removeLast().ctx) }
        mine.slots.insert(Slot(serial: key.serial, alg: alg, ctx: ctx), at: 0)
        return ctx
    }
}
