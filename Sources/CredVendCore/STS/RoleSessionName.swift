/// RoleSessionName for AssumeRole: `credvend-` + the mapping's server name
/// (else its client_id), fitted to STS's rules: 2 to 64 characters of
/// `[\w+=,.@-]` (`\w` being ASCII letters, digits and `_`). Every Unicode scalar
/// outside that set becomes one `-`, so the name is ASCII and its length in
/// characters is its length in bytes; it is then cut to 64 bytes.
public enum RoleSessionName {
    public static let prefix = "credvend-"
    public static let minLength = 2
    public static let maxLength = 64

    public static func make(serverName: String?, clientId: String) -> String {
        let source = serverName.flatMap { $0.isEmpty ? nil : $0 } ?? clientId
        var bytes: [UInt8] = []
        bytes.reserveCapacity(maxLength)
        for scalar in (prefix + source).unicodeScalars {
            guard bytes.count < maxLength else { break }
            bytes.append(isAllowed(scalar) ? UInt8(truncatingIfNeeded: scalar.value) : UInt8(ascii: "-"))
        }
        return String(decoding: bytes, as: UTF8.self)  // at least `prefix`, so never under 2 bytes
    }

    /// Whether STS takes `name` as a RoleSessionName: 2-64 bytes, each of `[\w+=,.@-]`.
    public static func isValid(_ name: String) -> Bool {
        (minLength...maxLength).contains(name.utf8.count) && name.unicodeScalars.allSatisfy(isAllowed)
    }

    /// `[\w+=,.@-]`: every character STS accepts in a role session name.
    public static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "+", "=", ",", ".", "@", "-": return true
        default: return false
        }
    }
}
