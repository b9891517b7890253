// The only file that imports COpenSSL. Everything OpenSSL does for credvend
// (digests, HMAC, randomness, signature verification) is exposed here as safe
// Swift types; no pointer leaves this file.
internal import COpenSSL
import CredVendSystem
import Synchronization

/// An OpenSSL failure, with the library's error queue rendered as text.
public struct OpenSSLError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let detail: String
    public var description: String { "OpenSSL \(operation) failed: \(detail)" }

    package init(operation: String, detail: String) {
        self.operation = operation
        self.detail = detail
    }

    static func fromQueue(_ operation: String) -> OpenSSLError {
        var lines: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            lines.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return OpenSSLError(operation: operation, detail: lines.isEmpty ? "unknown error" : lines.joined(separator: "; "))
    }
}

/// SHA-256, one shot. Why not incremental: every input credvend hashes is in memory.
/// Uses the low-level SHA256_Init/Update/Final: OpenSSL 3's one-shot SHA256() looks the
/// digest up by name on every call (a provider fetch under a process-wide read lock),
/// which cost more than hashing a whole access token.
public enum SHA256 {
    public static let byteCount = 32

    public static func hash<Bytes: Collection<UInt8>>(_ input: Bytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        out.withUnsafeMutableBufferPointer { o in
            withContiguous(input) { buf in digestBytes(.sha256, buf, o.baseAddress!) }
        }
        return out
    }

    public static func hash(_ string: String) -> [UInt8] { hash(Array(string.utf8)) }
}

/// One-shot SHA-2 into `out` (32, 48 or 64 bytes), without OpenSSL 3's per-call fetch.
private func digestBytes(_ digest: SignatureAlgorithm.Digest, _ buf: UnsafeBufferPointer<UInt8>,
                         _ out: UnsafeMutablePointer<UInt8>) {
    switch digest {
    case .sha256:
        var c = SHA256_CTX()
        SHA256_Init(&c)
        SHA256_Update(&c, buf.baseAddress, buf.count)
        SHA256_Final(out, &c)
    case .sha384:
        var c = SHA512_CTX()
        SHA384_Init(&c)
        SHA384_Update(&c, buf.baseAddress, buf.count)
        SHA384_Final(out, &c)
    case .sha512:
        var c = SHA512_CTX()
        SHA512_Init(&c)
        SHA512_Update(&c, buf.baseAddress, buf.count)
        SHA512_Final(out, &c)
    }
}

/// HMAC-SHA256, one shot (SigV4 key derivation and signing, audit token ids).
public enum HMACSHA256 {
    public static func mac<Key: Collection<UInt8>, Message: Collection<UInt8>>(key: Key, message: Message) -> [UInt8] {
        let k = Array(key), m = Array(message)
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        k.withUnsafeBufferPointer { kb in
            m.withUnsafeBufferPointer { mb in
                out.withUnsafeMutableBufferPointer { ob in
                    _ = HMAC(EVP_sha256(), kb.baseAddress, Int32(kb.count), mb.baseAddress, mb.count, ob.baseAddress, &length)
                }
            }
        }
        return out
    }

    public static func mac(key: [UInt8], message: String) -> [UInt8] { mac(key: key, message: Array(message.utf8)) }
}

/// Cryptographically secure random bytes (tokens, jitter seeds, request ids).
public enum SecureRandom {
    public static func bytes(_ count: Int) throws(OpenSSLError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let rc = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        guard rc == 1 else { throw OpenSSLError.fromQueue("RAND_bytes") }
        return out
    }
}

/// Constant-time equality for secrets (admin and TES tokens).
public enum ConstantTime {
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 } }
    }
}

// MARK: - Signatures

extension OpenSSLError {
    /// A refusal decided by credvend rather than by OpenSSL (drains the queue anyway).
    static func refused(_ operation: String, _ detail: String) -> OpenSSLError {
        ERR_clear_error()
        return OpenSSLError(operation: operation, detail: detail)
    }
}

/// Limits on RSA keys: below 2048 bits is forgeable in practice; above 8192 bits is
/// a verification-cost attack rather than a real key.
enum RSALimits {
    static let minBits = 2048
    static let maxBits = 8192
}

private func messageDigest(_ digest: SignatureAlgorithm.Digest) -> OpaquePointer? {
    switch digest {
    case .sha256: return EVP_sha256()
    case .sha384: return EVP_sha384()
    case .sha512: return EVP_sha512()
    }
}

/// The OpenSSL group name of a JWK curve.
private func groupName(_ curve: ECCurve) -> String {
    curve == .p256 ? "prime256v1" : "secp384r1"
}

/// Runs `body` over `bytes` as one contiguous buffer, copying only if it is not contiguous.
private func withContiguous<Bytes: Collection<UInt8>, R>(_ bytes: Bytes, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let r = bytes.withContiguousStorageIfAvailable(body) { return r }
    return Array(bytes).withUnsafeBufferPointer(body)
}

/// Reads what a key is (RSA and its size, or EC and its curve); nil for anything else.
private func keyKind(of pkey: OpaquePointer) -> KeyKind? {
    switch EVP_PKEY_get_base_id(pkey) {
    case EVP_PKEY_RSA:
        return .rsa(bits: Int(EVP_PKEY_get_bits(pkey)))
    case EVP_PKEY_EC:
        var name = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_get_group_name(pkey, &name, name.count, &length) == 1 else { ERR_clear_error(); return nil }
        let group = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return ECCurve.allCases.first { groupName($0) == group }.map { .ec($0) }
    default:
        return nil
    }
}

/// Checks a key's size; the error explains what would be accepted.
private func checkRSABits(_ bits: Int, _ operation: String) throws(OpenSSLError) {
    guard bits >= RSALimits.minBits else {
        throw .refused(operation, "RSA modulus is \(bits) bits; at least \(RSALimits.minBits) are required")
    }
    guard bits <= RSALimits.maxBits else {
        throw .refused(operation, "RSA modulus is \(bits) bits; at most \(RSALimits.maxBits) are accepted")
    }
}

/// Raw JWS r||s to the DER ECDSA-Sig-Value OpenSSL verifies; nil when it cannot be encoded.
private func ecdsaDER(rawSignature raw: [UInt8], coordinateSize size: Int) -> [UInt8]? {
    guard let sig = ECDSA_SIG_new() else { ERR_clear_error(); return nil }
    defer { ECDSA_SIG_free(sig) }
    let (r, s) = raw.withUnsafeBufferPointer { buf in
        (BN_bin2bn(buf.baseAddress, Int32(size), nil), BN_bin2bn(buf.baseAddress! + size, Int32(size), nil))
    }
    guard let r, let s, ECDSA_SIG_set0(sig, r, s) == 1 else {
        BN_free(r); BN_free(s); ERR_clear_error()
        return nil
    }
    let length = i2d_ECDSA_SIG(sig, nil)
    guard length > 0 else { ERR_clear_error(); return nil }
    var der = [UInt8](repeating: 0, count: Int(length))
    let written = der.withUnsafeMutableBufferPointer { buf -> Int32 in
        var cursor = buf.baseAddress
        return i2d_ECDSA_SIG(sig, &cursor)
    }
    guard written == length else { ERR_clear_error(); return nil }
    return der
}

/// A public key built once from JWK parameters and used for every request that names it.
///
/// @unchecked Sendable: the EVP_PKEY is never mutated after `init`, and OpenSSL 3 allows
/// concurrent verification with one key as long as each call has its own EVP_MD_CTX.
public final class VerifyingKey: @unchecked Sendable {
    fileprivate let pkey: OpaquePointer
    public let kind: KeyKind
    /// Unique per key object for this process (per-thread verify contexts are found by it).
    fileprivate let serial = verifyingKeySerials.add(1, ordering: .relaxed).newValue
    /// The exact signature length: the modulus size for RSA, 2 x coordinate for ECDSA.
    public let signatureSize: Int

    deinit { EVP_PKEY_free(pkey) }

    private init(pkey: OpaquePointer, kind: KeyKind) {
        self.pkey = pkey
        self.kind = kind
        switch kind {
        case .rsa: signatureSize = Int(EVP_PKEY_get_size(pkey))
        case .ec(let curve): signatureSize = 2 * curve.coordinateSize
        }
    }

    /// An RSA public key from the JWK `n` and `e` (big-endian, unsigned).
    public convenience init(rsaModulus n: [UInt8], exponent e: [UInt8]) throws(OpenSSLError) {
        let op = "RSA public key"
        let modulus = n.drop { $0 == 0 }, exponent = e.drop { $0 == 0 }
        try checkRSABits(modulus.isEmpty ? 0 : (modulus.count - 1) * 8 + (8 - modulus.first!.leadingZeroBitCount), op)
        guard modulus.last! & 1 == 1 else { throw .refused(op, "RSA modulus is even") }
        guard let last = exponent.last, last & 1 == 1, exponent.count > 1 || last >= 3, exponent.count <= modulus.count else {
            throw .refused(op, "RSA public exponent must be odd, at least 3 and shorter than the modulus")
        }
        let built: OpaquePointer? = "RSA".withCString { rsaName in "n".withCString { nKey in "e".withCString { eKey in
            let nBN = Array(modulus).withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
            let eBN = Array(exponent).withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
            defer { BN_free(nBN); BN_free(eBN) }
            guard let nBN, let eBN, let bld = OSSL_PARAM_BLD_new() else { return nil }
            defer { OSSL_PARAM_BLD_free(bld) }
            guard OSSL_PARAM_BLD_push_BN(bld, nKey, nBN) == 1, OSSL_PARAM_BLD_push_BN(bld, eKey, eBN) == 1,
                  let params = OSSL_PARAM_BLD_to_param(bld) else { return nil }
            defer { OSSL_PARAM_free(params) }
            return Self.fromPublicData(typeName: rsaName, params: params)
        } } }
        guard let built else { throw .fromQueue(op) }
        guard let kind = keyKind(of: built), case .rsa(let bits) = kind else {
            EVP_PKEY_free(built)
            throw .refused(op, "OpenSSL did not build an RSA key")
        }
        do { try checkRSABits(bits, op) } catch { EVP_PKEY_free(built); throw error }
        self.init(pkey: built, kind: kind)
    }

    /// An EC public key from the JWK `crv`, `x` and `y`; the point must lie on the curve.
    public convenience init(ecCurve crv: String, x: [UInt8], y: [UInt8]) throws(OpenSSLError) {
        let op = "EC public key"
        guard let curve = ECCurve(rawValue: crv) else {
            throw .refused(op, "curve is not supported; use one of \(ECCurve.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard x.count == curve.coordinateSize, y.count == curve.coordinateSize else {
            throw .refused(op, "\(crv) coordinates must be exactly \(curve.coordinateSize) bytes each")
        }
        let point = [0x04] + x + y  // SEC 1 uncompressed point
        let built: OpaquePointer? = "EC".withCString { ecName in "group".withCString { groupKey in
            "pub".withCString { pubKey in groupName(curve).withCString { group in
                point.withUnsafeBufferPointer { pub in
                    guard let bld = OSSL_PARAM_BLD_new() else { return nil }
                    defer { OSSL_PARAM_BLD_free(bld) }
                    guard OSSL_PARAM_BLD_push_utf8_string(bld, groupKey, group, 0) == 1,
                          OSSL_PARAM_BLD_push_octet_string(bld, pubKey, pub.baseAddress, pub.count) == 1,
                          let params = OSSL_PARAM_BLD_to_param(bld) else { return nil }
                    defer { OSSL_PARAM_free(params) }
                    return Self.fromPublicData(typeName: ecName, params: params)
                }
            } }
        } }
        let invalidPoint = "\(op): (x, y) is not a valid \(crv) point"
        guard let built else { throw .fromQueue(invalidPoint) }
        // Explicit point validation (on the curve, not infinity, right order), whatever
        // EVP_PKEY_fromdata already checked.
        let checked: Bool = {
            guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, built, nil) else { return false }
            defer { EVP_PKEY_CTX_free(ctx) }
            return EVP_PKEY_public_check(ctx) == 1
        }()
        guard checked, keyKind(of: built) == .ec(curve) else {
            EVP_PKEY_free(built)
            throw .fromQueue(invalidPoint)
        }
        self.init(pkey: built, kind: .ec(curve))
    }

    /// Builds a public-only key; the strings and params stay valid for the whole call.
    private static func fromPublicData(typeName: UnsafePointer<CChar>, params: UnsafeMutablePointer<OSSL_PARAM>) -> OpaquePointer? {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, typeName, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        var pkey: OpaquePointer?
        let publicKeySelection = Int32(OSSL_KEYMGMT_SELECT_PUBLIC_KEY | OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS
            | OSSL_KEYMGMT_SELECT_OTHER_PARAMETERS)  // EVP_PKEY_PUBLIC_KEY
        guard EVP_PKEY_fromdata_init(ctx) == 1, EVP_PKEY_fromdata(ctx, &pkey, publicKeySelection, params) == 1 else {
            EVP_PKEY_free(pkey)
            return nil
        }
        return pkey
    }

    /// Whether `signature` (JWS form: PKCS#1 v1.5 bytes, or raw r||s for ECDSA) is a valid
    /// signature of `message` by this key under `alg`. False when the key does not fit `alg`
    /// or the signature has the wrong length. Never throws: a failure is just "no".
    public func verify<Message: Collection<UInt8>>(_ alg: SignatureAlgorithm, message: Message, signature: [UInt8]) -> Bool {
        guard kind.fits(alg), signature.count == signatureSize else { return false }
        if case .rsa = kind { return verifyRSA(alg, message: message, signature: signature) }
        let encoded: [UInt8]
        if case .ec(let curve) = kind {
            guard let der = ecdsaDER(rawSignature: signature, coordinateSize: curve.coordinateSize) else { return false }
            encoded = der
        } else {
            encoded = signature
        }
        guard let ctx = EVP_MD_CTX_new() else { ERR_clear_error(); return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, messageDigest(alg.digest), nil, pkey) == 1 else {
            ERR_clear_error()
            return false
        }
        let rc = withContiguous(message) { msg in
            encoded.withUnsafeBufferPointer { sig in
                EVP_DigestVerify(ctx, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
            }
        }
        if rc != 1 { ERR_clear_error() }  // the error queue is per thread: never let it grow
        return rc == 1
    }
}

// MARK: - RSA verification without per-call set-up

extension VerifyingKey {
    /// RS256/384/512: the digest one-shot, then EVP_PKEY_verify on a context that this
    /// thread set up once for this key and algorithm. EVP_DigestVerifyInit per call, as
    /// before, spent ~5 us of a ~25 us check in OpenSSL 3's provider and method lookups
    /// (its name lookups take a process-wide read lock), on top of the RSA operation.
    fileprivate func verifyRSA<Message: Collection<UInt8>>(_ alg: SignatureAlgorithm, message: Message,
                                                         signature: [UInt8]) -> Bool {
        var digest = [UInt8](repeating: 0, count: 64)
        digest.withUnsafeMutableBufferPointer { out in
            withContiguous(message) { msg in digestBytes(alg.digest, msg, out.baseAddress!) }
        }
        let digestLength = alg.digest == .sha256 ? 32 : alg.digest == .sha384 ? 48 : 64
        guard let ctx = RSAVerifyContexts.context(for: self, alg: alg) else { ERR_clear_error(); return false }
        let rc = signature.withUnsafeBufferPointer { sig in
            digest.withUnsafeBufferPointer { d in EVP_PKEY_verify(ctx, sig.baseAddress, sig.count, d.baseAddress, digestLength) }
        }
        if rc != 1 { ERR_clear_error() }
        return rc == 1
    }

    /// A fresh verify context for this key: PKCS#1 v1.5 padding, `alg`'s digest.
    fileprivate func makeRSAVerifyContext(_ alg: SignatureAlgorithm) -> OpaquePointer? {
        guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil) else { return nil }
        guard EVP_PKEY_verify_init(ctx) == 1, EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1,
              EVP_PKEY_CTX_set_signature_md(ctx, messageDigest(alg.digest)) == 1 else {
            EVP_PKEY_CTX_free(ctx)
            return nil
        }
        return ctx
    }
}

/// Each thread's RSA verify contexts, a few (key, algorithm) pairs, most recent first.
/// A context holds its own reference to the key's EVP_PKEY, so one outliving its
/// `VerifyingKey` (a JWKS refresh) is still sound; it is freed when displaced or
/// when the thread exits. Keys are told apart by a serial number, never reused.
private final class RSAVerifyContexts {
    private struct Slot {
        let serial: UInt64
        let alg: SignatureAlgorithm
        let ctx: OpaquePointer
    }

    private static let perThread = ThreadLocal<RSAVerifyContexts>()
    private static let capacity = 4
    private var slots: [Slot] = []

    deinit { for s in slots { EVP_PKEY_CTX_free(s.ctx) } }

    static func context(for key: VerifyingKey, alg: SignatureAlgorithm) -> OpaquePointer? {
        let mine: RSAVerifyContexts
        if let existing = perThread.value {
            mine = existing
        } else {
            mine = RSAVerifyContexts()
            perThread.value = mine
        }
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

private let verifyingKeySerials = Atomic<UInt64>(0)

/// A private key for the development issuer and for tests: RSA (RS256/384/512) or EC
/// P-256/P-384 (ES256/ES384).
///
/// @unchecked Sendable: the EVP_PKEY is never mutated after construction, and each
/// signing call uses its own EVP_MD_CTX.
public final class SigningKey: @unchecked Sendable {
    private let pkey: OpaquePointer
    public let kind: KeyKind

    deinit { EVP_PKEY_free(pkey) }

    private init(owning pkey: OpaquePointer, operation: String) throws(OpenSSLError) {
        guard let kind = keyKind(of: pkey) else {
            EVP_PKEY_free(pkey)
            throw .refused(operation, "only RSA and EC P-256/P-384 private keys are supported")
        }
        if case .rsa(let bits) = kind {
            do { try checkRSABits(bits, operation) } catch { EVP_PKEY_free(pkey); throw error }
        }
        self.pkey = pkey
        self.kind = kind
    }

    /// A fresh RSA key (2048 bits unless asked otherwise; never fewer).
    public static func generateRSA(bits: Int = 2048) throws(OpenSSLError) -> SigningKey {
        try checkRSABits(bits, "RSA key generation")
        return try generate(typeName: "RSA", operation: "RSA key generation") { EVP_PKEY_CTX_set_rsa_keygen_bits($0, Int32(bits)) }
    }

    /// A fresh EC key on `curve`.
    public static func generateEC(curve: ECCurve = .p256) throws(OpenSSLError) -> SigningKey {
        let group = groupName(curve)
        return try generate(typeName: "EC", operation: "EC key generation") { ctx in
            group.withCString { EVP_PKEY_CTX_set_group_name(ctx, $0) }
        }
    }

    private static func generate(typeName: String, operation: String,
                                 configure: (OpaquePointer) -> Int32) throws(OpenSSLError) -> SigningKey {
        let pkey: OpaquePointer? = typeName.withCString { name in
            guard let ctx = EVP_PKEY_CTX_new_from_name(nil, name, nil) else { return nil }
            defer { EVP_PKEY_CTX_free(ctx) }
            var key: OpaquePointer?
            guard EVP_PKEY_keygen_init(ctx) == 1, configure(ctx) == 1, EVP_PKEY_generate(ctx, &key) == 1 else {
                EVP_PKEY_free(key)
                return nil
            }
            return key
        }
        guard let pkey else { throw .fromQueue(operation) }
        return try SigningKey(owning: pkey, operation: operation)
    }

    /// Loads an unencrypted PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`) or traditional
    /// (`BEGIN RSA PRIVATE KEY`, `BEGIN EC PRIVATE KEY`). Encrypted keys are refused
    /// rather than prompting for a passphrase on the terminal.
    public convenience init(pem: String) throws(OpenSSLError) {
        let op = "PEM private key"
        try self.init(owning: try readPEMPrivateKey(Array(pem.utf8), operation: op), operation: op)
    }

    /// The private key as unencrypted PKCS#8 PEM (`BEGIN PRIVATE KEY`).
    public func pemPrivateKey() throws(OpenSSLError) -> String {
        let op = "PEM encoding"
        guard let bio = BIO_new(BIO_s_mem()) else { throw .fromQueue(op) }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, pkey, nil, nil, 0, nil, nil) == 1 else { throw .fromQueue(op) }
        let pending = Int(BIO_ctrl_pending(bio))
        var out = [UInt8](repeating: 0, count: pending)
        let read = out.withUnsafeMutableBufferPointer { BIO_read(bio, $0.baseAddress, Int32(pending)) }
        guard pending > 0, Int(read) == pending else { throw .fromQueue(op) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Big-endian `n` and `e` of an RSA key, as a JWK publishes them.
    public func rsaPublicComponents() throws(OpenSSLError) -> (n: [UInt8], e: [UInt8]) {
        guard case .rsa = kind else { throw .refused("RSA public components", "the key is \(kind), not RSA") }
        return (try bignumParam("n", padTo: 0), try bignumParam("e", padTo: 0))
    }

    /// `crv`, `x` and `y` of an EC key (coordinates padded to full size, as RFC 7518 requires).
    public func ecPublicComponents() throws(OpenSSLError) -> (crv: String, x: [UInt8], y: [UInt8]) {
        guard case .ec(let curve) = kind else { throw .refused("EC public components", "the key is \(kind), not EC") }
        return (curve.rawValue, try bignumParam("qx", padTo: curve.coordinateSize),
                try bignumParam("qy", padTo: curve.coordinateSize))
    }

    /// The matching public key, built through the same path as a JWKS key.
    public func verifyingKey() throws(OpenSSLError) -> VerifyingKey {
        switch kind {
        case .rsa:
            let (n, e) = try rsaPublicComponents()
            return try VerifyingKey(rsaModulus: n, exponent: e)
        case .ec:
            let (crv, x, y) = try ecPublicComponents()
            return try VerifyingKey(ecCurve: crv, x: x, y: y)
        }
    }

    private func bignumParam(_ name: String, padTo size: Int) throws(OpenSSLError) -> [UInt8] {
        var bn: OpaquePointer?
        let ok = name.withCString { EVP_PKEY_get_bn_param(pkey, $0, &bn) } == 1
        defer { BN_free(bn) }
        guard ok, let bn else { throw .fromQueue("reading key parameter \(name)") }
        let length = max(size, (Int(BN_num_bits(bn)) + 7) / 8)
        var out = [UInt8](repeating: 0, count: length)
        let written = out.withUnsafeMutableBufferPointer { BN_bn2binpad(bn, $0.baseAddress, Int32(length)) }
        guard Int(written) == length else { throw .fromQueue("reading key parameter \(name)") }
        return out
    }

    /// Signs `message` as JWS `alg` does: PKCS#1 v1.5 bytes for RS*, raw r||s for ES*.
    public func sign<Message: Collection<UInt8>>(_ alg: SignatureAlgorithm, _ message: Message) throws(OpenSSLError) -> [UInt8] {
        let op = "\(alg.rawValue) signing"
        guard kind.fits(alg) else { throw .refused(op, "a \(kind) key cannot make \(alg.rawValue) signatures") }
        guard let ctx = EVP_MD_CTX_new() else { throw .fromQueue(op) }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, messageDigest(alg.digest), nil, pkey) == 1 else { throw .fromQueue(op) }
        var signature: [UInt8] = []
        let ok = withContiguous(message) { msg -> Bool in
            var length = 0
            guard EVP_DigestSign(ctx, nil, &length, msg.baseAddress, msg.count) == 1 else { return false }
            signature = [UInt8](repeating: 0, count: length)
            let rc = signature.withUnsafeMutableBufferPointer { EVP_DigestSign(ctx, $0.baseAddress, &length, msg.baseAddress, msg.count) }
            signature.removeLast(signature.count - length)
            return rc == 1
        }
        guard ok else { throw .fromQueue(op) }
        guard case .ec(let curve) = kind else { return signature }
        return try Self.rawECDSA(der: signature, coordinateSize: curve.coordinateSize, operation: op)
    }

    public func signRS256(_ message: [UInt8]) throws(OpenSSLError) -> [UInt8] { try sign(.RS256, message) }

    public func signES256(_ message: [UInt8]) throws(OpenSSLError) -> [UInt8] { try sign(.ES256, message) }

    /// DER ECDSA-Sig-Value to the fixed-size r||s a JWS carries.
    private static func rawECDSA(der: [UInt8], coordinateSize size: Int, operation: String) throws(OpenSSLError) -> [UInt8] {
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

// MARK: - PEM files

/// Runs `body` with a read-only memory BIO over `bytes`. The BIO reads the bytes in place,
/// so it lives and dies inside this call.
private func withMemoryBIO<R>(_ bytes: [UInt8], operation: String,
                              _ body: (OpaquePointer) -> R) throws(OpenSSLError) -> R {
    guard !bytes.isEmpty, bytes.count < Int(Int32.max) else { throw .refused(operation, "the PEM text is empty or too large") }
    let result: R? = bytes.withUnsafeBufferPointer { buf in
        guard let bio = BIO_new_mem_buf(buf.baseAddress, Int32(buf.count)) else { return nil }
        defer { BIO_free(bio) }
        return body(bio)
    }
    guard let result else { throw .fromQueue(operation) }
    return result
}

/// An unencrypted PEM private key of any type OpenSSL reads; the caller owns (frees) it.
/// Encrypted keys are refused rather than prompting for a passphrase on the terminal.
private func readPEMPrivateKey(_ bytes: [UInt8], operation: String) throws(OpenSSLError) -> OpaquePointer {
    let pkey = try withMemoryBIO(bytes, operation: operation) { bio in
        PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
    }
    guard let pkey else {
        throw .fromQueue(operation + " (expected an unencrypted PKCS#8 or traditional RSA/EC PEM private key)")
    }
    return pkey
}

/// X.509 certificates in PEM files, checked before they are handed to libcurl so that a
/// bad file is a clear message at start-up rather than a TLS failure later.
public enum X509PEM {
    /// The number of certificates in a PEM bundle. Throws when there is none, or when a
    /// `-----BEGIN CERTIFICATE-----` block cannot be read (bad base64, markers not on lines
    /// of their own). A missing newline at the very end is fine.
    public static func certificateCount(_ pem: [UInt8]) throws(OpenSSLError) -> Int {
        let op = "PEM certificate"
        let count = try withMemoryBIO(pem, operation: op) { bio -> Int in
            var n = 0
            while let cert = PEM_read_bio_X509(bio, nil, nil, nil) {
                X509_free(cert)
                n += 1
            }
            return n
        }
        ERR_clear_error()  // the loop always ends on "no start line"
        let markers = occurrences(of: Array("-----BEGIN CERTIFICATE-----".utf8), in: pem)
        guard count >= markers else {
            throw .refused(op, "certificate \(count + 1) of \(markers) cannot be read; each -----BEGIN CERTIFICATE----- and -----END CERTIFICATE----- must be on a line of its own")
        }
        guard count > 0 else { throw .refused(op, "no PEM certificate (-----BEGIN CERTIFICATE-----) in it") }
        return count
    }

    private static func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> Int {
        guard haystack.count >= needle.count else { return 0 }
        return (0...(haystack.count - needle.count)).count { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// Whether `keyPEM`, an unencrypted PEM private key, is the private half of the first
    /// certificate in `certificatePEM`. Throws when either cannot be read.
    public static func keyMatchesCertificate(certificatePEM: [UInt8], keyPEM: [UInt8]) throws(OpenSSLError) -> Bool {
        let certificate = try withMemoryBIO(certificatePEM, operation: "PEM certificate") { bio in
            PEM_read_bio_X509(bio, nil, nil, nil)
        }
        guard let certificate else { throw .fromQueue("PEM certificate") }
        defer { X509_free(certificate) }
        let key = try readPEMPrivateKey(keyPEM, operation: "PEM private key")
        defer { EVP_PKEY_free(key) }
        let matches = X509_check_private_key(certificate, key) == 1
        ERR_clear_error()  // a mismatch leaves "key values mismatch" on the queue
        return matches
    }
}
