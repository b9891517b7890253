import Testing

@testable import CredVendCore

@Suite struct ClientConfigResolverTests {
    static let cognito: [String: String] = [
        "IDP_TYPE": "cognito", "COGNITO_DOMAIN": "my-pool.auth.eu-west-1.amazoncognito.com",
        "COGNITO_CLIENT_ID": "1abc2defg3hij4klmno5pqrs6", "COGNITO_CLIENT_SECRET": "s3cret-value",
        "COGNITO_RESOURCE_SERVER": "https://s3-uploader.dev.oidc-s3",
        "COGNITO_CREDENTIAL_API_URL": "https://vend.example.com/v1/credentials",
    ]
    static let auth0: [String: String] = [
        "IDP_TYPE": "auth0", "AUTH0_DOMAIN": "tenant.eu.auth0.com", "AUTH0_CLIENT_ID": "abc",
        "AUTH0_CLIENT_SECRET": "s3cret-value",
        "AUTH0_AUDIENCE": "https://s3-uploader.dev.example.com",
        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/oidc-s3-dev-server",
    ]

    func resolve(
        env: [String: String] = [:],
        file: [String: String] = [:],
        flags: [ClientSettingKey: String] = [:],
        forToken: Bool = false
    ) throws(ClientConfigError) -> ClientSettings {
        try ClientConfigResolver.resolve(
            ClientConfigSources(
                flags: flags,
                environment: env,
                file: file,
                fileName: "/etc/credvend/config.env"
            ),
            forToken: forToken
        )
    }

    @Test func cognitoFromTheSeedVariables() throws {
        let s = try resolve(env: Self.cognito)
        #expect(s.idpType == .cognito)
        #expect(s.domain == "https://my-pool.auth.eu-west-1.amazoncognito.com")
        #expect(s.tokenURL == "https://my-pool.auth.eu-west-1.amazoncognito.com/oauth2/token")
        #expect(s.scope == "https://s3-uploader.dev.oidc-s3/write")
        #expect(s.credentialAPIURL == "https://vend.example.com/v1/credentials")
        #expect(s.roleArn == nil && s.audience == nil)
        #expect(!"\(s)".contains("s3cret-value"))
    }

    @Test func auth0FromTheSeedVariables() throws {
        let s = try resolve(env: Self.auth0)
        #expect(s.tokenURL == "https://tenant.eu.auth0.com/oauth/token")
        #expect(s.audience == "https://s3-uploader.dev.example.com" && s.scope == nil)
        #expect(s.stsEndpoint == "https://sts.us-east-1.amazonaws.com")
        #expect(s.roleSessionName == "credvend-abc" && s.durationSeconds == 3600)
    }

    @Test func idpTypeDefaultsToAuth0AndListsEveryMissingVariable() {
        #expect(
            throws: ClientConfigError(
                idpType: .auth0,
                missing: [
                    .auth0Domain, .auth0ClientId, .auth0ClientSecret,
                    .auth0Audience, .roleArn,
                ],
                idpTypeDefaulted: true
            )
        ) {
            try resolve()
        }
        do {
            _ = try resolve(env: ["IDP_TYPE": "cognito", "COGNITO_DOMAIN": "x.example.com", "COGNITO_CLIENT_ID": "a"])
            Issue.record("expected an error")
        } catch {
            #expect(error.missing == [.cognitoClientSecret, .cognitoResourceServer, .cognitoCredentialAPIURL])
            #expect(
                error.message
                    == "missing settings for IDP_TYPE=cognito: COGNITO_CLIENT_SECRET (--cognito-client-secret), "
                    + "COGNITO_RESOURCE_SERVER (--cognito-resource-server), COGNITO_CREDENTIAL_API_URL (--cognito-credential-api-url); "
                    + "set each in the environment, in the --config file, or by its flag"
            )
        }
    }

    @Test func tokenOnlyNeedsLess() throws {
        var env = Self.auth0
        env["AWS_ROLE_ARN"] = nil
        #expect(try resolve(env: env, forToken: true).roleArn == nil)
        #expect(throws: ClientConfigError.self) { try resolve(env: env) }
    }

    @Test func precedenceIsFlagThenEnvironmentThenFile() throws {
        var file = Self.cognito
        file["COGNITO_CLIENT_ID"] = "from-file"
        #expect(try resolve(file: file).clientId == "from-file")
        #expect(try resolve(env: ["COGNITO_CLIENT_ID": "from-env"], file: file).clientId == "from-env")
        #expect(
            try resolve(
                env: ["COGNITO_CLIENT_ID": "from-env"],
                file: file,
                flags: [.cognitoClientId: "from-flag"]
            ).clientId == "from-flag"
        )
        // An empty variable counts as unset.
        #expect(try resolve(env: ["COGNITO_CLIENT_ID": ""], file: file).clientId == "from-file")
    }

    @Test func aliasesOfTheAWSSDKs() throws {
        var env = Self.auth0
        env["AWS_DEFAULT_REGION"] = "eu-west-1"
        env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:5000"
        let s = try resolve(env: env)
        #expect(s.region == "eu-west-1" && s.stsEndpoint == "http://127.0.0.1:5000")
        env["AWS_REGION"] = "eu-central-1"
        env["AWS_ENDPOINT_URL_STS"] = "https://sts.eu-central-1.amazonaws.com"
        let t = try resolve(env: env)
        #expect(t.region == "eu-central-1" && t.stsEndpoint == "https://sts.eu-central-1.amazonaws.com")
    }

    @Test func scopesAreQualifiedByTheResourceServer() throws {
        var env = Self.cognito
        env["COGNITO_RESOURCE_SERVER"] = "credvend/"
        env["COGNITO_SCOPE"] = "write  read"
        #expect(try resolve(env: env).scope == "credvend/write credvend/read")
    }

    @Test func domainsAndURLs() throws {
        var env = Self.cognito
        env["COGNITO_DOMAIN"] = "http://127.0.0.1:9000/"
        env["COGNITO_CREDENTIAL_API_URL"] = "http://localhost:8080"
        let s = try resolve(env: env)
        #expect(s.tokenURL == "http://127.0.0.1:9000/oauth2/token")
        #expect(s.credentialAPIURL == "http://localhost:8080/v1/credentials")
        env["COGNITO_DOMAIN"] = "https://idp.example.com/tenant"
        #expect(try resolve(env: env).tokenURL == "https://idp.example.com/tenant/oauth2/token")
    }

    @Test func wrongSettingsAreAllNamedWithTheirOrigin() {
        do {
            _ = try resolve(
                env: [
                    "AUTH0_DOMAIN": "http://auth.example.com", "AWS_ROLE_ARN": "role/x",
                    "AWS_REGION": "Frankfurt", "CREDVEND_DURATION_SECONDS": "60",
                ],
                file: Self.auth0.filter { $0.key != "AUTH0_DOMAIN" && $0.key != "AWS_ROLE_ARN" }
            )
            Issue.record("expected an error")
        } catch {
            #expect(error.missing.isEmpty)
            #expect(error.invalid.count == 4)
            #expect(
                error.message.contains("AUTH0_DOMAIN http://auth.example.com uses plain http to a non-loopback host")
            )
            #expect(error.message.contains("AWS_ROLE_ARN \"role/x\" is not an IAM role ARN"))
            #expect(error.message.contains("AWS_REGION \"Frankfurt\" is not an AWS region name"))
            #expect(
                error.message.contains(
                    "CREDVEND_DURATION_SECONDS \"60\" must be a whole number of seconds from 900 to 43200"
                )
            )
        }
        #expect(throws: ClientConfigError.invalid("IDP_TYPE \"okta\" is not supported: use cognito or auth0")) {
            try resolve(env: ["IDP_TYPE": "okta"])
        }
        do {
            _ = try resolve(file: Self.cognito.merging(["COGNITO_CREDENTIAL_API_URL": "ftp://x"]) { $1 })
        } catch {
            #expect(
                error.message
                    == "COGNITO_CREDENTIAL_API_URL in /etc/credvend/config.env \"ftp://x\" must be an https URL"
            )
        }
    }

    @Test func aSecretWithALineBreakIsRefusedWithoutShowingIt() {
        var env = Self.cognito
        env["COGNITO_CLIENT_SECRET"] = "abc\ndef"
        do {
            _ = try resolve(env: env)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("COGNITO_CLIENT_SECRET must be one line"))
            #expect(!error.message.contains("abc"))
        }
    }

    @Test func cacheIdentitiesChangeWithWhatTheyDependOn() throws {
        let a = try resolve(env: Self.cognito)
        var env = Self.cognito
        env["COGNITO_CLIENT_SECRET"] = "rotated"
        let b = try resolve(env: env)
        #expect(a.tokenCacheIdentity == b.tokenCacheIdentity)  // the secret does not select
        env["COGNITO_SCOPE"] = "read"
        #expect(try resolve(env: env).tokenCacheIdentity != a.tokenCacheIdentity)
        env = Self.cognito
        env["COGNITO_CREDENTIAL_API_URL"] = "https://other.example.com/v1/credentials"
        let c = try resolve(env: env)
        #expect(
            c.tokenCacheIdentity == a.tokenCacheIdentity && c.credentialsCacheIdentity != a.credentialsCacheIdentity
        )
    }

    @Test func aURLWithCredentialsIsRefusedWithoutShowingThem() {
        for domain in ["https://user:hunter2@tenant.auth0.com", "https://tenant.auth0.com/?client_secret=hunter2"] {
            do {
                _ = try resolve(env: Self.auth0.merging(["AUTH0_DOMAIN": domain]) { $1 })
                Issue.record("accepted \(domain)")
            } catch {
                #expect(error.message.contains("AUTH0_DOMAIN must not have a query, fragment or user name"))
                #expect(!error.message.contains("hunter2"))
            }
        }
    }
}
