import Testing

@testable import CredVendCore

/// The cold path's keys (`RoleMapping`, `NamedRole`, `GrantKey`) keep `Hashable`'s rule,
/// equal values hash equal, and hash every field `==` compares.
@Suite struct KeyHashingTests {
    static let mapping = RoleMapping(
        clientId: "client-1",
        roleArn: "arn:aws:iam::123456789012:role/app",
        serverName: "server-1",
        bucket: "bucket",
        s3PathPrefix: "backups/café/",
        permission: .readWrite,
        sessionDurationSeconds: 1800,
        roles: [NamedRole(name: "reader", roleArn: "arn:aws:iam::123456789012:role/reader", bucket: "bucket")]
    )

    /// The same bytes, from other storage (strings decoded anew, not the literals).
    static func rebuilt(_ m: RoleMapping) -> RoleMapping {
        func copy(_ s: String) -> String { String(decoding: Array(s.utf8), as: UTF8.self) }
        var r = m
        r.clientId = copy(m.clientId)
        r.roleArn = copy(m.roleArn)
        r.serverName = m.serverName.map(copy)
        r.bucket = m.bucket.map(copy)
        r.s3PathPrefix = m.s3PathPrefix.map(copy)
        r.roles = m.roles.map { role in
            var c = role
            c.name = copy(role.name)
            c.roleArn = copy(role.roleArn)
            return c
        }
        return r
    }

    @Test func equalMappingsHashEqual() {
        let copy = Self.rebuilt(Self.mapping)
        #expect(copy == Self.mapping)
        #expect(copy.hashValue == Self.mapping.hashValue)
        #expect(copy.roles[0].hashValue == Self.mapping.roles[0].hashValue)
    }

    /// Each field changed alone: another mapping, and (but for a 2^-64 chance) another hash.
    @Test func everyFieldIsHashed() {
        let m = Self.mapping
        var variants: [RoleMapping] = []
        func with(_ change: (inout RoleMapping) -> Void) {
            var v = m
            change(&v)
            variants.append(v)
        }
        with { $0.clientId = "client-2" }
        with { $0.roleArn = "arn:aws:iam::123456789012:role/other" }
        with { $0.serverName = nil }
        with { $0.serverName = "" }
        with { $0.bucket = nil }
        with { $0.s3PathPrefix = "backups/cafe/" }
        with { $0.s3PathPrefix = nil }
        with { $0.permission = .full }
        with { $0.sessionDurationSeconds = 1801 }
        with { $0.roles = [] }
        with { $0.roles[0].name = "writer" }
        with { $0.roles[0].roleArn = "arn:aws:iam::123456789012:role/writer" }
        with { $0.roles[0].bucket = nil }
        with { $0.roles[0].s3PathPrefix = "x/" }
        with { $0.roles[0].permission = .full }
        with { $0.roles[0].sessionDurationSeconds = 900 }
        // The optionals in order: a value that moved from one field to the next is another record.
        with {
            $0.serverName = nil
            $0.bucket = "server-1"
        }
        for v in variants {
            #expect(v != m)
            #expect(v.hashValue != m.hashValue, "\(v)")
        }
    }

    /// Canonically equal but other bytes (NFC é, NFD e + U+0301): two records, both kept in a set.
    @Test func anNFDPrefixIsAnotherMember() {
        var nfd = Self.mapping
        nfd.s3PathPrefix = "backups/cafe\u{301}/"
        #expect(nfd.s3PathPrefix == Self.mapping.s3PathPrefix)  // String's own ==
        #expect(nfd != Self.mapping)
        #expect(Set([Self.mapping, nfd, Self.rebuilt(nfd)]).count == 2)
    }

    /// Prefixes of every length around the eight-byte words, and each byte changed alone.
    @Test func grantKeysHashEveryPrefixByte() {
        var seen: [Int: GrantKey] = [:]
        for length in 0...19 {
            let prefix = (0..<length).map { UInt8(ascii: "a") + UInt8($0) }
            let key = GrantKey(role: "default", durationSeconds: 900, s3PathPrefix: prefix)
            let copy = GrantKey(role: "default", durationSeconds: 900, s3PathPrefix: Array(prefix))
            #expect(key == copy && key.hashValue == copy.hashValue)
            #expect(seen.updateValue(key, forKey: key.hashValue) == nil, "length \(length) shares a hash")
            for i in 0..<length {
                var changed = prefix
                changed[i] ^= 0x20
                let other = GrantKey(role: "default", durationSeconds: 900, s3PathPrefix: changed)
                #expect(other.hashValue != key.hashValue, "byte \(i) of \(length) is not hashed")
            }
        }
        let trailingZero = GrantKey(role: "default", durationSeconds: 900, s3PathPrefix: [0x61, 0])
        #expect(
            trailingZero.hashValue != GrantKey(role: "default", durationSeconds: 900, s3PathPrefix: [0x61]).hashValue
        )
        let none = GrantKey(role: "default", durationSeconds: 900, s3PathPrefix: nil)
        #expect(none.hashValue != GrantKey(role: "default", durationSeconds: 900, s3PathPrefix: []).hashValue)
        #expect(none.hashValue != GrantKey(role: "reader", durationSeconds: 900, s3PathPrefix: nil).hashValue)
        #expect(none.hashValue != GrantKey(role: "default", durationSeconds: nil, s3PathPrefix: nil).hashValue)
    }
}
