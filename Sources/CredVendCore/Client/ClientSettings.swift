/// Everything the client commands need, resolved and checked once
/// (`ClientConfigResolver`). URLs are absolute, without a trailing slash.
public struct ClientSettings: Sendable, Equatable, CustomStringConvertible {
    public var idpType: IdPType
    /// The IdP's base URL: `https://my-domain.auth.eu-west-1.amazoncognito.com`, `https://tenant.auth0.com`.
    public var domain: String
    public var clientId: String
    public var clientSecret: String
    /// Cognito: the `scope` parameter, `<resource server>/<scope>` for each scope.
    public var scope: String?
    /// Auth0: the `audience` parameter.
    public var audience: String?
    /// Cognito: where the token is exchanged for credentials (`credvend serve`'s `/v1/credentials`).
    public var credentialAPIURL: String?
    /// Auth0: the role STS AssumeRoleWithWebIdentity assumes.
    public var roleArn: String?
    public var region: String
    /// Auth0: the STS endpoint URL.
    public var stsEndpoint: String
    public var roleSessionName: String
    public var durationSeconds: Int
    /// Trust anchors and client certificate for the token endpoint and the vending API.
    public var tls: TLSClientOptions

    public init(
        idpType: IdPType,
        domain: String,
        clientId: String,
        clientSecret: String,
        scope: String? = nil,
        audience: String? = nil,
        credentialAPIURL: String? = nil,
        roleArn: String? = nil,
        region: String = "us-east-1",
        stsEndpoint: String? = nil,
        roleSessionName: String? = nil,
        durationSeconds: Int = 3600,
        tls: TLSClientOptions = TLSClientOptions()
    ) {
        self.idpType = idpType
        self.domain = domain
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.scope = scope
        self.audience = audience
        self.credentialAPIURL = credentialAPIURL
        self.roleArn = roleArn
        self.region = region
        self.stsEndpoint = stsEndpoint ?? "https://sts.\(region).amazonaws.com"
        self.roleSessionName = roleSessionName ?? RoleSessionName.make(serverName: nil, clientId: clientId)
        self.durationSeconds = durationSeconds
        self.tls = tls
    }

    /// The OAuth 2.0 token endpoint: Cognito's `/oauth2/token`, Auth0's `/oauth/token`.
    public var tokenURL: String {
        domain + (idpType == .cognito ? "/oauth2/token" : "/oauth/token")
    }

    /// What a cached token depends on (the secret excluded: it authenticates, it does not select);
    /// with a client certificate, its file too, as the token may be bound to it.
    public var tokenCacheIdentity: String {
        var parts = ["v1", "token", idpType.rawValue, tokenURL, clientId, scope ?? "", audience ?? ""]
        if let certificate = tls.certificateFile { parts.append("cert:" + certificate) }
        return parts.joined(separator: "\n")
    }

    /// What cached credentials depend on: the token's identity and where it is exchanged.
    public var credentialsCacheIdentity: String {
        var parts = ["v1", "credentials", tokenCacheIdentity]
        switch idpType {
        case .cognito: parts += [credentialAPIURL ?? ""]
        case .auth0: parts += [roleArn ?? "", stsEndpoint, roleSessionName, String(durationSeconds)]
        }
        return parts.joined(separator: "\n")
    }

    /// Never shows the client secret.
    public var description: String {
        var parts = [
            "idp=\(idpType.rawValue)", "token_url=\(tokenURL)", "client_id=\(clientId)", "client_secret=<redacted>",
        ]
        if let scope { parts.append("scope=\(scope)") }
        if let audience { parts.append("audience=\(audience)") }
        if let credentialAPIURL { parts.append("credential_api=\(credentialAPIURL)") }
        if let roleArn { parts += ["role_arn=\(roleArn)", "sts=\(stsEndpoint)", "session=\(roleSessionName)"] }
        if let caFile = tls.caFile { parts.append("ca_file=\(caFile)") }
        if let certificate = tls.certificateFile { parts.append("client_cert=\(certificate)") }
        return "ClientSettings(" + parts.joined(separator: ", ") + ")"
    }
}
