import CredVendCrypto
import CredVendSync

/// Task 3 of SigV4: the signing key, and the signature made with it.
enum SigV4SigningKey {
    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
    static func derive(
        secretAccessKey: String,
        dateStamp: String,
        region: String,
        service: String
    ) throws(OpenSSLError) -> [UInt8] {
        let kDate = try HMACSHA256.mac(key: Array("AWS4\(secretAccessKey)".utf8), message: Array(dateStamp.utf8))
        let kRegion = try HMACSHA256.mac(key: kDate, message: region)
        let kService = try HMACSHA256.mac(key: kRegion, message: service)
        return try HMACSHA256.mac(key: kService, message: "aws4_request")
    }

    /// Lower-case hex HMAC-SHA256 of the string to sign under the signing key.
    static func signature(signingKey: [UInt8], stringToSign: String) throws(OpenSSLError) -> String {
        String(decoding: try signature(signingKey: signingKey, stringToSign: Array(stringToSign.utf8)), as: UTF8.self)
    }

    /// `signature` as bytes.
    static func signature(signingKey: [UInt8], stringToSign: [UInt8]) throws(OpenSSLError) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(2 * HMACSHA256.byteCount)
        Hex.append(try HMACSHA256.mac(key: signingKey, message: stringToSign), to: &out)
        return out
    }
}

/// Derived signing keys, per (secret, date, region, service). A key changes only
/// once a day or when the source credentials rotate, so nearly every signature
/// reuses one. The lock is per signer and held only for a dictionary lookup or
/// insert, never while deriving. At `capacity` entries the cache is emptied (old
/// dates and rotated secrets go with it), so it stays small. Entries are never
/// printed: the key holds a secret.
final class SigningKeyCache: Sendable {
    private struct Key: Hashable {
        let secretAccessKey: String
        let dateStamp: String
        let region: String
        let service: String
    }

    private struct State {
        var keys: [Key: [UInt8]] = [:]
        var derivations = 0
    }

    let capacity: Int
    private let state = Locked(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    func signingKey(
        secretAccessKey: String,
        dateStamp: String,
        region: String,
        service: String
    ) throws(OpenSSLError) -> [UInt8] {
        let key = Key(secretAccessKey: secretAccessKey, dateStamp: dateStamp, region: region, service: service)
        if let cached = state.withLock({ $0.keys[key] }) { return cached }
        let derived = try SigV4SigningKey.derive(
            secretAccessKey: secretAccessKey,
            dateStamp: dateStamp,
            region: region,
            service: service
        )
        state.withLock { state in
            if state.keys.count >= capacity { state.keys.removeAll(keepingCapacity: true) }
            state.keys[key] = derived
            state.derivations += 1
        }
        return derived
    }

    /// For tests: how many keys were derived (cache misses) and how many are held.
    var statistics: (derivations: Int, entries: Int) {
        state.withLock { ($0.derivations, $0.keys.count) }
    }
}
