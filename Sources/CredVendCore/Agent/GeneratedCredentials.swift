/// What `credvend generate` writes: one of the formats credential-daemon keeps, or the
/// container-credentials JSON, under the file name credential-daemon uses for it.
public enum GenerateFormat: String, Sendable, CaseIterable {
    /// credential_process JSON (`credential_process = cat FILE` works too).
    case process
    /// Shell-sourceable `AWS_*` variables.
    case env
    /// The container-credentials shape (`AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration`).
    case json
    /// A shared credentials file with profile `default` (`AWS_SHARED_CREDENTIALS_FILE`).
    case ini

    public var fileName: String {
        switch self {
        case .process: CredentialFileFormats.jsonFileName
        case .env: CredentialFileFormats.envFileName
        case .json: "container-credentials.json"
        case .ini: CredentialFileFormats.iniFileName
        }
    }

    public func render(_ c: AWSCredentials) -> [UInt8] {
        switch self {
        case .process: CredentialFileFormats.json(c)
        case .env: Array(CredentialFileFormats.env(c).utf8)
        case .json: ContainerCredentials.render(c) + [0x0A]
        case .ini: Array(CredentialFileFormats.ini(c).utf8)
        }
    }
}

/// `--ttl`: a session length as seconds (`3600`) or with a unit (`900s`, `15m`, `2h`),
/// within what STS allows.
public enum CredentialTTL {
    public static func parse(_ text: String) -> Result<Int, ConfigurationError> {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600]
        var digits = Substring(text)
        var unit = 1
        if let last = text.last, let factor = units[last] {
            digits = digits.dropLast()
            unit = factor
        }
        guard let n = Int(digits), n > 0, n <= 100_000 else {
            return .failure(ConfigurationError("--ttl \(text) is not a duration such as 3600, 900s, 15m or 2h"))
        }
        let seconds = n * unit
        guard seconds >= AgentSocketPolicy.durationRange.lowerBound else {
            return .failure(
                ConfigurationError(
                    "--ttl \(text) is \(seconds) s, below STS's minimum session of 900 s (15 minutes); ask for 900 s or more"
                )
            )
        }
        guard seconds <= AgentSocketPolicy.durationRange.upperBound else {
            return .failure(
                ConfigurationError("--ttl \(text) is \(seconds) s, above STS's longest session of 43200 s (12 hours)")
            )
        }
        return .success(seconds)
    }
}
