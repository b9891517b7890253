/// Client settings that are missing or cannot work. One error lists every
/// problem, so a user fixes them all in one go. Never quotes a secret's value.
public struct ClientConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public let idpType: IdPType?
    /// Required settings that were not given, in `ClientSettingKey.required` order.
    public let missing: [ClientSettingKey]
    /// Given settings that cannot work, one sentence each.
    public let invalid: [String]
    /// IDP_TYPE was not given and its default (auth0) applied.
    public let idpTypeDefaulted: Bool

    public init(
        idpType: IdPType?,
        missing: [ClientSettingKey] = [],
        invalid: [String] = [],
        idpTypeDefaulted: Bool = false
    ) {
        self.idpType = idpType
        self.missing = missing
        self.invalid = invalid
        self.idpTypeDefaulted = idpTypeDefaulted
    }

    public static func invalid(_ reason: String) -> ClientConfigError {
        ClientConfigError(idpType: nil, invalid: [reason])
    }

    public var message: String {
        var parts: [String] = []
        if !missing.isEmpty, let idpType {
            let which =
                idpTypeDefaulted
                ? "IDP_TYPE=\(idpType.rawValue) (the default; set IDP_TYPE=cognito for Cognito)"
                : "IDP_TYPE=\(idpType.rawValue)"
            parts.append(
                "missing settings for \(which): " + missing.map(\.displayName).joined(separator: ", ")
                    + "; set each in the environment, in the --config file, or by its flag"
            )
        }
        parts += invalid
        return parts.joined(separator: "; ")
    }

    public var description: String { message }
}
