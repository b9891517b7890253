import ArgumentParser
import CredVend
import CredVendCore
import Foundation
import Logging

/// The settings every client command shares: the variables of docs/reference.md#client-settings, each
/// overridable by a flag, optionally from `--config FILE`; and the cache.
struct ClientOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Read settings from this env file (KEY=value lines, the same file a shell can source); the environment and flags win.",
            valueName: "file"
        )
    )
    var config: String?

    @Option(help: "cognito or auth0. [IDP_TYPE] (default: auth0)")
    var idpType: String?

    @Option(help: "Cognito domain: a host name (https) or a URL. [COGNITO_DOMAIN]")
    var cognitoDomain: String?
    @Option(help: "Cognito app client id. [COGNITO_CLIENT_ID]")
    var cognitoClientId: String?
    @Option(
        help: "Cognito app client secret; prefer the variable or --config (a flag shows in ps). [COGNITO_CLIENT_SECRET]"
    )
    var cognitoClientSecret: String?
    @Option(
        help: "Cognito resource server identifier; the scope asked for is <this>/<scope>. [COGNITO_RESOURCE_SERVER]"
    )
    var cognitoResourceServer: String?
    @Option(
        help:
            "Credential vending API URL (credvend serve's /v1/credentials, added when the URL has no path). [COGNITO_CREDENTIAL_API_URL]"
    )
    var cognitoCredentialApiUrl: String?
    @Option(help: "Scope(s) under the resource server, space-separated. [COGNITO_SCOPE] (default: write)")
    var cognitoScope: String?

    @Option(help: "Auth0 domain: a host name (https) or a URL. [AUTH0_DOMAIN]")
    var auth0Domain: String?
    @Option(help: "Auth0 application client id. [AUTH0_CLIENT_ID]")
    var auth0ClientId: String?
    @Option(help: "Auth0 client secret; prefer the variable or --config (a flag shows in ps). [AUTH0_CLIENT_SECRET]")
    var auth0ClientSecret: String?
    @Option(help: "Auth0 API audience. [AUTH0_AUDIENCE]")
    var auth0Audience: String?

    @Option(help: "Auth0: the IAM role for AssumeRoleWithWebIdentity. [AWS_ROLE_ARN]")
    var roleArn: String?
    @Option(help: "AWS region of the STS endpoint. [AWS_REGION, AWS_DEFAULT_REGION] (default: us-east-1)")
    var region: String?
    @Option(
        help:
            "Auth0: STS endpoint URL. [AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL] (default: https://sts.<region>.amazonaws.com)"
    )
    var stsEndpoint: String?
    @Option(help: "Auth0: RoleSessionName. [AWS_ROLE_SESSION_NAME] (default: credvend-<client id>)")
    var roleSessionName: String?
    @Option(help: "Auth0: session duration in seconds, 900-43200. [CREDVEND_DURATION_SECONDS] (default: 3600)")
    var durationSeconds: String?

    @Option(
        help: ArgumentHelp(
            "PEM CA certificates trusted for the token endpoint and the credential API, besides the system's. [CREDVEND_CA_FILE]",
            valueName: "file"
        )
    )
    var caFile: String?
    @Option(
        help: ArgumentHelp(
            "PEM client certificate for mutual TLS to the token endpoint and the credential API. [CREDVEND_CLIENT_CERT]",
            valueName: "file"
        )
    )
    var clientCert: String?
    @Option(
        help: ArgumentHelp(
            "PEM private key of the client certificate (default: in the certificate's file). [CREDVEND_CLIENT_KEY]",
            valueName: "file"
        )
    )
    var clientKey: String?

    @Option(
        help: ArgumentHelp(
            "Token and credential cache directory (default: $XDG_CACHE_HOME/credvend or ~/.cache/credvend).",
            valueName: "dir"
        )
    )
    var cacheDir: String?
    @Flag(help: "Neither read nor write the cache.")
    var noCache = false
    @Option(help: "Reuse cached tokens and credentials until this many seconds before they expire (at least 60).")
    var refreshBuffer = Int(ClientCachePolicy.defaultRefreshBuffer)

    var flags: [ClientSettingKey: String] {
        let pairs: [(ClientSettingKey, String?)] = [
            (.idpType, idpType), (.cognitoDomain, cognitoDomain), (.cognitoClientId, cognitoClientId),
            (.cognitoClientSecret, cognitoClientSecret), (.cognitoResourceServer, cognitoResourceServer),
            (.cognitoCredentialAPIURL, cognitoCredentialApiUrl), (.cognitoScope, cognitoScope),
            (.auth0Domain, auth0Domain), (.auth0ClientId, auth0ClientId), (.auth0ClientSecret, auth0ClientSecret),
            (.auth0Audience, auth0Audience), (.roleArn, roleArn), (.region, region), (.stsEndpoint, stsEndpoint),
            (.roleSessionName, roleSessionName), (.durationSeconds, durationSeconds),
            (.caFile, caFile), (.clientCertificate, clientCert), (.clientKey, clientKey),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { key, value in value.map { (key, $0) } })
    }

    var policy: ClientCachePolicy { ClientCachePolicy(refreshBuffer: TimeInterval(refreshBuffer)) }

    /// Flags, the environment and the `--config` file (exit 2 if the file cannot be read).
    func sources(command: String) -> ClientConfigSources {
        var file: [String: String] = [:]
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else {
                CLILogging.fail("credvend \(command): --config \(config) cannot be read")
            }
            do {
                file = try EnvFile.parse(String(decoding: data, as: UTF8.self))
            } catch {
                CLILogging.fail("credvend \(command): --config \(config): \(error)")
            }
        }
        return ClientConfigSources(
            flags: flags,
            environment: ProcessInfo.processInfo.environment,
            file: file,
            fileName: config
        )
    }

    /// The checked settings (the TLS files read once), or a message naming every problem (exit 2).
    func settings(command: String, forToken: Bool = false) -> ClientSettings {
        guard refreshBuffer >= 60 else {
            CLILogging.fail("credvend \(command): --refresh-buffer must be at least 60 seconds")
        }
        let settings: ClientSettings
        do {
            settings = try ClientConfigResolver.resolve(sources(command: command), forToken: forToken)
        } catch {
            CLILogging.fail("credvend \(command): \(error.message)")
        }
        do {
            try TLSClientFiles.check(settings.tls)
        } catch {
            CLILogging.fail("credvend \(command): \(error.message)")
        }
        return settings
    }

    /// The cache store, or nil (with `--no-cache`, or when no directory is usable).
    func cacheStore(logger: Logger) -> ClientCacheStore? {
        guard !noCache else { return nil }
        guard let dir = cacheDir ?? ClientCacheStore.defaultDirectory(environment: ProcessInfo.processInfo.environment)
        else {
            logger.warning("no cache directory (set XDG_CACHE_HOME or HOME, or pass --cache-dir); not caching")
            return nil
        }
        return ClientCacheStore.open(directory: dir, logger: logger)
    }

    func source(settings: ClientSettings, logger: Logger, command: String) -> ClientCredentialSource {
        do {
            return try ClientCredentialSource.live(
                settings: settings,
                policy: policy,
                cache: cacheStore(logger: logger),
                logger: logger
            )
        } catch {
            CLILogging.fail("credvend \(command): \(error.message)")
        }
    }
}
