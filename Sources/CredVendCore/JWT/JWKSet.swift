public import CredVendCrypto

/// Why a JWKS document could not be used at all (single bad keys are only skipped).
public struct JWKSetError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { "invalid JWKS: \(message)" }
}

/// The keys of one JWKS version, each built into a `VerifyingKey` once, when the set is
/// made; requests only look keys up. Keys that cannot be used are skipped, and why is
/// kept in `skipped` for the service to log; one bad key never takes the others down.
///
/// A key is skipped when it cannot be read, has no `kid`, shares its `kid` with another
/// key that is not an exact repeat of it, has a `use` or `alg` that rules it out
/// (`JWK.usageConflict`), or fails the key checks of `VerifyingKey` (RSA modulus
/// 2048-8192 bits, odd exponent 3...2^31-1; EC point on its P-256 or P-384 curve).
/// What is left bounds the work a forged token can cause to one verification with
/// such a key.
public struct JWKSet: Sendable {
    public struct Entry: Sendable {
        public let jwk: JWK
        public let key: VerifyingKey
    }

    /// One member of the `keys` array that is not used, and why.
    public struct Skip: Sendable, Equatable {
        /// Its position in the `keys` array, from 0.
        public let index: Int
        /// Its `kid` when it has a string one (even if the rest could not be read).
        public let kid: String?
        public let reason: String
    }

    public let entries: [String: Entry]
    public let skipped: [Skip]

    public init(jwks bytes: [UInt8]) throws(JWKSetError) {
        let document: JSONValue
        do { document = try JSONParser.parse(bytes) } catch { throw JWKSetError(message: error.description) }
        guard let keys = document["keys"]?.arrayValue else {
            throw JWKSetError(message: "expected a JSON object with a \"keys\" array")
        }
        self.init(
            members: keys.map { item in
                (item["kid"]?.stringValue, Result { () throws(JWKSetError) -> JWK in try JWK(json: item) })
            }
        )
    }

    public init(_ jwks: [JWK]) { self.init(members: jwks.map { ($0.kid, .success($0)) }) }

    private init(members: [(kid: String?, jwk: Result<JWK, JWKSetError>)]) {
        var holders: [String: [Int]] = [:]
        for (i, member) in members.enumerated() {
            if let kid = member.kid { holders[kid, default: []].append(i) }
        }
        var entries: [String: Entry] = [:]
        var skipped: [Skip] = []
        for (i, member) in members.enumerated() {
            let jwk: JWK
            switch member.jwk {
            case .success(let read): jwk = read
            case .failure(let error):
                skipped.append(Skip(index: i, kid: member.kid, reason: error.message))
                continue
            }
            guard let kid = jwk.kid, !kid.isEmpty else {
                skipped.append(Skip(index: i, kid: jwk.kid, reason: "no kid: tokens name their key by kid"))
                continue
            }
            let same = holders[kid, default: [i]]
            if same.count > 1 {
                // An exact repeat is harmless: the first copy is used, the others add nothing.
                if same.allSatisfy({ (try? members[$0].jwk.get()) == jwk }) {
                    if same[0] != i { continue }
                } else {
                    let others = same.filter { $0 != i }
                    let reason =
                        "the kid is also on key\(others.count > 1 ? "s" : "") "
                        + "\(others.map(String.init).joined(separator: ", ")) with other contents; which one the "
                        + "issuer signs with is ambiguous, so no key with this kid is used"
                    skipped.append(Skip(index: i, kid: kid, reason: reason))
                    continue
                }
            }
            if let conflict = jwk.usageConflict {
                skipped.append(Skip(index: i, kid: kid, reason: conflict))
                continue
            }
            do {
                entries[kid] = Entry(jwk: jwk, key: try jwk.makeVerifyingKey())
            } catch {
                skipped.append(Skip(index: i, kid: kid, reason: "\(error.operation): \(error.detail)"))
            }
        }
        self.entries = entries
        self.skipped = skipped
    }

    public subscript(kid: String) -> Entry? { entries[kid] }

    public var isEmpty: Bool { entries.isEmpty }

    public var kids: [String] { entries.keys.sorted() }

    /// A JWKS document (`{"keys": [...]}`) for the given public keys.
    public static func document(_ jwks: [JWK]) -> String {
        JSONValue.object(["keys": .array(jwks.map(\.json))]).jsonString
    }
}
