/// RoleSessionName for AssumeRole: `credvend-` + the mapping's server name
/// (else its client_id), fitted to STS's rules: 2 to 64 characters of
/// `[\w+=,.@-]` (`\w` being ASCII letters, digits and `_`).
public enum RoleSessionName {
    public static let prefix = "credvend-"
    public static let maxLength = 64

    public static func make(serverName: String?, clientId: String) -> String {
        let source = serverName.flatMap { $0.isEmpty ? nil : $0 } ?? clientId
        var name = String(String.UnicodeScalarView((prefix + source).unicodeScalars.map { isAllowed($0) ? $0 : "-" }))
        if name.count > maxLength { name = String(name.prefix(maxLength)) }
        return name  // at least `prefix`, so never under 2 characters
    }

    /// `[\w+=,.@-]`: every character STS accepts in a role session name.
    public static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "+", "=", ",", ".", "@", "-": return true
        default: return false
        }
    }
}
