import Foundation

/// Where client settings come from, highest precedence first: flags, the
/// process environment, the `--config` env file. Empty values count as unset.
public struct ClientConfigSources: Sendable {
    public var flags: [ClientSettingKey: String]
    public var environment: [String: String]
    public var file: [String: String]
    /// The `--config` path, for messages.
    public var fileName: String?

    public init(
        flags: [ClientSettingKey: String] = [:],
        environment: [String: String] = [:],
        file: [String: String] = [:],
        fileName: String? = nil
    ) {
        self.flags = flags
        self.environment = environment
        self.file = file
        self.fileName = fileName
    }

    /// A setting's value and, for messages, where it came from.
    public func lookup(_ key: ClientSettingKey) -> (value: String, origin: String)? {
        if let v = Self.nonEmpty(flags[key]) { return (v, key.flag) }
        for name in [key.variable] + key.aliases {
            if let v = Self.nonEmpty(environment[name]) { return (v, name) }
        }
        for name in [key.variable] + key.aliases {
            if let v = Self.nonEmpty(file[name]) { return (v, "\(name) in \(fileName ?? "the config file")") }
        }
        return nil
    }

    private static func nonEmpty(_ s: String?) -> String? {
        guard let t = s?.trimmingCharacters(in: .whitespaces), !t.isEmpty else { return nil }
        return t
    }
}

/// Turns flags, environment and config file into checked `ClientSettings`
/// (docs/reference.md#client-settings). Pure: the caller reads the environment and the file.
public enum ClientConfigResolver {
    public static let defaultScope = "write"
    public static let defaultRegion = "us-east-1"

    /// - Parameter forToken: only what the token request needs (token-daemon).
    public static func resolve(
        _ sources: ClientConfigSources,
        forToken: Bool = false
    ) throws(ClientConfigError) -> ClientSettings {
        let idpText = sources.lookup(.idpType)
        let idp: IdPType
        if let idpText {
            guard let parsed = IdPType(rawValue: idpText.value.lowercased()) else {
                throw .invalid("\(idpText.origin) \"\(idpText.value)\" is not supported: use cognito or auth0")
            }
            idp = parsed
        } else {
            idp = .auth0  // IDP_TYPE defaults to auth0 (docs/reference.md#client-settings)
        }
        let missing = ClientSettingKey.required(for: idp, forToken: forToken).filter { sources.lookup($0) == nil }
        guard missing.isEmpty else {
            throw ClientConfigError(idpType: idp, missing: missing, idpTypeDefaulted: idpText == nil)
        }

        var problems: [String] = []
        func value(_ key: ClientSettingKey) -> String? { sources.lookup(key)?.value }
        func checked(_ key: ClientSettingKey, _ check: (String, String) -> String?) -> String? {
            guard let found = sources.lookup(key) else { return nil }
            if let problem = check(found.value, found.origin) {
                problems.append(problem)
                return nil
            }
            return found.value
        }

        let domainKey: ClientSettingKey = idp == .cognito ? .cognitoDomain : .auth0Domain
        let idKey: ClientSettingKey = idp == .cognito ? .cognitoClientId : .auth0ClientId
        let secretKey: ClientSettingKey = idp == .cognito ? .cognitoClientSecret : .auth0ClientSecret
        let domain = sources.lookup(domainKey).flatMap { found -> String? in
            switch ClientURL.base(found.value, name: found.origin) {
            case .success(let url): return url
            case .failure(let problem):
                problems.append(problem.message)
                return nil
            }
        }
        let clientId = checked(idKey) { v, o in
            ClientURL.singleLine(v) ? nil : "\(o) must be one line of printable text"
        }
        let clientSecret = checked(secretKey) { v, o in
            ClientURL.singleLine(v) ? nil : "\(o) must be one line of printable text (its value is not shown)"
        }
        let region =
            checked(.region) { v, o in
                AWSRules.region(v).map { "\(o) \"\(v)\" is not an AWS region name: \($0)" }
            } ?? defaultRegion
        var duration = RoleMapping.defaultSessionDuration
        if let found = sources.lookup(.durationSeconds) {
            if let n = Int(found.value), AWSRules.sessionDuration(n) == nil {
                duration = n
            } else {
                problems.append("\(found.origin) \"\(found.value)\" \(AWSRules.sessionDurationProblem)")
            }
        }

        var scope: String?
        var audience: String?
        var apiURL: String?
        var roleArn: String?
        var sts: String?
        var session: String?
        switch idp {
        case .cognito:
            let resource = value(.cognitoResourceServer).map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? ""
            let scopes = (value(.cognitoScope) ?? defaultScope).split(whereSeparator: \.isWhitespace)
            scope = scopes.map { "\(resource)/\($0)" }.joined(separator: " ")
            if !forToken, let found = sources.lookup(.cognitoCredentialAPIURL) {
                switch ClientURL.endpoint(found.value, name: found.origin, defaultPath: "/v1/credentials") {
                case .success(let url): apiURL = url
                case .failure(let problem): problems.append(problem.message)
                }
            }
        case .auth0:
            audience = value(.auth0Audience)
            if !forToken {
                roleArn = checked(.roleArn) { v, o in
                    AWSRules.roleArn(v).map { "\(o) \"\(v)\" is not an IAM role ARN: \($0)" }
                }
                if let found = sources.lookup(.stsEndpoint) {
                    switch ClientURL.endpoint(found.value, name: found.origin, defaultPath: "") {
                    case .success(let url): sts = url
                    case .failure(let problem): problems.append(problem.message)
                    }
                }
                session = checked(.roleSessionName) { v, o in
                    RoleSessionName.isValid(v)
                        ? nil : "\(o) \"\(v)\" must be 2-64 characters of letters, digits and +=,.@_-"
                }
            }
        }
        let tls = TLSClientOptions(
            caFile: value(.caFile),
            certificateFile: value(.clientCertificate),
            keyFile: value(.clientKey)
        )
        if tls.keyFile != nil, tls.certificateFile == nil {
            problems.append(
                "\(ClientSettingKey.clientKey.displayName) needs \(ClientSettingKey.clientCertificate.displayName)"
            )
        }
        guard problems.isEmpty, let domain, let clientId, let clientSecret else {
            throw ClientConfigError(idpType: idp, invalid: problems)
        }
        return ClientSettings(
            idpType: idp,
            domain: domain,
            clientId: clientId,
            clientSecret: clientSecret,
            scope: scope,
            audience: audience,
            credentialAPIURL: apiURL,
            roleArn: roleArn,
            region: region,
            stsEndpoint: sts,
            roleSessionName: session,
            durationSeconds: duration,
            tls: tls
        )
    }
}
