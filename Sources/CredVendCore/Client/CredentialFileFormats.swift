/// The three files credential-daemon keeps fresh (docs/reference.md#credvend-credential-daemon).
public enum CredentialFileFormats {
    public static let envFileName = "aws-credentials.env"
    public static let jsonFileName = "aws-credentials.json"
    public static let iniFileName = "credentials"

    /// Every file, name and contents, in the order they are written.
    public static func files(_ c: AWSCredentials, profile: String = "default") -> [(name: String, bytes: [UInt8])] {
        [
            (jsonFileName, json(c)), (iniFileName, Array(ini(c, profile: profile).utf8)),
            (envFileName, Array(env(c).utf8)),
        ]
    }

    /// Shell-sourceable, the variables of `aws configure export-credentials --format env`.
    public static func env(_ c: AWSCredentials) -> String {
        var pairs: [(name: String, value: String)] = [
            ("AWS_ACCESS_KEY_ID", c.accessKeyId),
            ("AWS_SECRET_ACCESS_KEY", c.secretAccessKey),
        ]
        if let t = c.sessionToken { pairs.append(("AWS_SESSION_TOKEN", t)) }
        if let e = c.expiration { pairs.append(("AWS_CREDENTIAL_EXPIRATION", ISO8601.string(e))) }
        return EnvFile.render(pairs, header: header(c))
    }

    /// The credential_process JSON (Version 1), so `credential_process = cat FILE` also works.
    public static func json(_ c: AWSCredentials) -> [UInt8] {
        CredentialProcessOutput.render(c) + [0x0A]
    }

    /// The shared credentials file format (`AWS_SHARED_CREDENTIALS_FILE`): one profile.
    public static func ini(_ c: AWSCredentials, profile: String = "default") -> String {
        var text = "# \(header(c))\n[\(profile)]\n"
        text += "aws_access_key_id = \(c.accessKeyId)\n"
        text += "aws_secret_access_key = \(c.secretAccessKey)\n"
        if let t = c.sessionToken { text += "aws_session_token = \(t)\n" }
        return text
    }

    /// A profile name that fits between `[` and `]` on one line.
    public static func isValidProfileName(_ name: String) -> Bool {
        !name.isEmpty
            && name.unicodeScalars.allSatisfy {
                $0.value > 0x20 && $0.value < 0x7F && $0 != "[" && $0 != "]" && $0 != "#" && $0 != ";"
            }
    }

    private static func header(_ c: AWSCredentials) -> String {
        "written by credvend credential-daemon; expires \(c.expiration.map(ISO8601.string) ?? "never")"
    }
}
