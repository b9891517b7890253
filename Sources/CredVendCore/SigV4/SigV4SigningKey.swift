import CredVendCrypto
import CredVendSync

/// Task 3 of SigV4: the signing key, and the signature made with it.
enum SigV4SigningKey {
    private static let terminator = Array("aws4_request".utf8)

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
    static func derive(
        secretAccessKey: String,
        dateStamp: String,
        region: String,
        service: String
    ) throws(OpenSSLError) -> SHA256Digest {
        let secret = Array("AWS4\(secretAccessKey)".utf8)
        let kDate = try HMACSHA256.code(key: secret.span, message: dateStamp.utf8.span)
        let kRegion = try HMACSHA256.code(key: kDate, message: region.utf8.span)
        let kService = try HMACSHA256.code(key: kRegion, message: service.utf8.span)
        return try HMACSHA256.code(key: kService, message: terminator.span)
    }

    /// Lower-case hex HMAC-SHA256 of the string to sign under the signing key.
    static func signature(signingKey: SHA256Digest, stringToSign: String) throws(OpenSSLError) -> String {
        Hex.encode(try HMACSHA256.code(key: signingKey, message: stringToSign.utf8.span))
    }
}

/// Derived signing keys, per (secret, date, region, service). A key changes only
/// once a day or when the source credentials rotate, so nearly every signature
/// reuses one. The lock is per signer and held only for a dictionary lookup or
/// insert, never while deriving. At `capacity` entries the cache is emptied (old
/// dates and rotated secrets go with it), so it stays small. Entries are never
/// printed: the key holds a secret. The entry handed out last is checked before the
/// dictionary: one key per day, region and service is the common case, and comparing
/// four strings that share the caller's storage costs less than hashing them.
final class SigningKeyCache: Sendable {
    private struct Key: Hashable {
        let secretAccessKey: String
        let dateStamp: String
        let region: String
        let service: String
    }

    private struct State {
        var keys: [Key: SHA256Digest] = [:]
        var recent: (key: Key, signingKey: SHA256Digest)?
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
    ) throws(OpenSSLError) -> SHA256Digest {
        let key = Key(secretAccessKey: secretAccessKey, dateStamp: dateStamp, region: region, service: service)
        let cached = state.withLock { state -> SHA256Digest? in
            if let recent = state.recent, recent.key == key { return recent.signingKey }
            guard let found = state.keys[key] else { return nil }
            state.recent = (key, found)
            return found
        }
        if let cached { return cached }
        let derived = try SigV4SigningKey.derive(
            secretAccessKey: secretAccessKey,
            dateStamp: dateStamp,
            region: region,
            service: service
        )
        state.withLock { state in
            if state.keys.count >= capacity { state.keys.removeAll(keepingCapacity: true) }
            state.keys[key] = derived
            state.recent = (key, derived)
            state.derivations += 1
        }
        return derived
    }

    /// For tests: how many keys were derived (cache misses) and how many are held.
    var statistics: (derivations: Int, entries: Int) {
        state.withLock { ($0.derivations, $0.keys.count) }
    }
}
