/// Which identity provider a client gets its token from (`IDP_TYPE`).
public enum IdPType: String, Sendable, CaseIterable {
    /// Token from Cognito, credentials from the vending API (`credvend serve`).
    case cognito
    /// Token from Auth0, credentials from STS AssumeRoleWithWebIdentity.
    case auth0
}

/// One client setting: its environment variable (docs/reference.md#client-settings; also read from
/// `--config FILE`) and the flag that overrides it.
public enum ClientSettingKey: String, CaseIterable, Sendable {
    case idpType = "IDP_TYPE"
    case cognitoDomain = "COGNITO_DOMAIN"
    case cognitoClientId = "COGNITO_CLIENT_ID"
    case cognitoClientSecret = "COGNITO_CLIENT_SECRET"
    case cognitoResourceServer = "COGNITO_RESOURCE_SERVER"
    case cognitoCredentialAPIURL = "COGNITO_CREDENTIAL_API_URL"
    case cognitoScope = "COGNITO_SCOPE"
    case auth0Domain = "AUTH0_DOMAIN"
    case auth0ClientId = "AUTH0_CLIENT_ID"
    case auth0ClientSecret = "AUTH0_CLIENT_SECRET"
    case auth0Audience = "AUTH0_AUDIENCE"
    case roleArn = "AWS_ROLE_ARN"
    case region = "AWS_REGION"
    case stsEndpoint = "AWS_ENDPOINT_URL_STS"
    case roleSessionName = "AWS_ROLE_SESSION_NAME"
    case durationSeconds = "CREDVEND_DURATION_SECONDS"
    case caFile = "CREDVEND_CA_FILE"
    case clientCertificate = "CREDVEND_CLIENT_CERT"
    case clientKey = "CREDVEND_CLIENT_KEY"

    /// The environment variable (and `--config` file key).
    public var variable: String { rawValue }

    /// Variables read when `variable` is not set, in order (the AWS SDKs' own fallbacks).
    public var aliases: [String] {
        switch self {
        case .region: return ["AWS_DEFAULT_REGION"]
        case .stsEndpoint: return ["AWS_ENDPOINT_URL"]
        default: return []
        }
    }

    /// The command-line flag that overrides the variable.
    public var flag: String {
        switch self {
        case .idpType: return "--idp-type"
        case .cognitoDomain: return "--cognito-domain"
        case .cognitoClientId: return "--cognito-client-id"
        case .cognitoClientSecret: return "--cognito-client-secret"
        case .cognitoResourceServer: return "--cognito-resource-server"
        case .cognitoCredentialAPIURL: return "--cognito-credential-api-url"
        case .cognitoScope: return "--cognito-scope"
        case .auth0Domain: return "--auth0-domain"
        case .auth0ClientId: return "--auth0-client-id"
        case .auth0ClientSecret: return "--auth0-client-secret"
        case .auth0Audience: return "--auth0-audience"
        case .roleArn: return "--role-arn"
        case .region: return "--region"
        case .stsEndpoint: return "--sts-endpoint"
        case .roleSessionName: return "--role-session-name"
        case .durationSeconds: return "--duration-seconds"
        case .caFile: return "--ca-file"
        case .clientCertificate: return "--client-cert"
        case .clientKey: return "--client-key"
        }
    }

    /// `COGNITO_DOMAIN (--cognito-domain)`, as messages name a setting.
    public var displayName: String { "\(variable) (\(flag))" }

    /// The settings an IdP type cannot do without. `forToken`: only what the
    /// token request needs (token-daemon), not what the credential exchange needs.
    public static func required(for idp: IdPType, forToken: Bool = false) -> [ClientSettingKey] {
        switch idp {
        case .cognito:
            let token: [ClientSettingKey] = [
                .cognitoDomain, .cognitoClientId, .cognitoClientSecret, .cognitoResourceServer,
            ]
            return forToken ? token : token + [.cognitoCredentialAPIURL]
        case .auth0:
            let token: [ClientSettingKey] = [.auth0Domain, .auth0ClientId, .auth0ClientSecret, .auth0Audience]
            return forToken ? token : token + [.roleArn]
        }
    }
}
