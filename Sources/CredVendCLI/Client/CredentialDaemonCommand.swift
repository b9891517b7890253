import ArgumentParser
import CredVend
import CredVendCore
import Foundation
import Logging

struct CredentialDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credential-daemon",
        abstract: "Keep AWS credential files fresh: aws-credentials.env, aws-credentials.json, credentials.",
        discussion: """
            Writes into --creds-dir: aws-credentials.env (shell: `source` it), aws-credentials.json (credential_process \
            JSON) and credentials (shared credentials file, for AWS_SHARED_CREDENTIALS_FILE). Every write is atomic \
            (temporary file in the directory, fsync, rename) with mode 0600, so a reader sees the old file or the new \
            one, never a part. Refreshes when the vending server's cache has new credentials (15 minutes before expiry, \
            or at half life for sessions of 30 minutes or less, then 2 s more); a failed refresh leaves the old files \
            and is retried with backoff. Each refresh is logged to standard error, without secrets. SIGTERM or SIGINT: exit 0. Settings \
            as for get-credentials.
            """
    )

    @OptionGroup var client: ClientOptions
    @Option(
        help: ArgumentHelp("Directory for the credential files (created, mode 0700, if missing).", valueName: "dir")
    )
    var credsDir: String
    @Option(help: "Profile name in the credentials file.")
    var profile = "default"
    @OptionGroup var refresh: DaemonOptions

    func run() async throws {
        let command = "credential-daemon"
        guard CredentialFileFormats.isValidProfileName(profile) else {
            CLILogging.fail("credvend \(command): --profile \"\(profile)\" cannot be an INI section name")
        }
        let schedule = refresh.schedule(client.policy, command: command)
        let logger = Logger(label: "credvend.credential-daemon")
        let settings = client.settings(command: command)
        let source = client.source(settings: settings, logger: logger, command: command)
        let names = [
            CredentialFileFormats.envFileName, CredentialFileFormats.jsonFileName, CredentialFileFormats.iniFileName,
        ]
        let dir = credsDir.hasSuffix("/") && credsDir.count > 1 ? String(credsDir.dropLast()) : credsDir
        do {
            try DaemonFiles.prepare(directory: dir, names: names)
        } catch {
            CLILogging.fail("credvend \(command): \(error.message)", code: 1)
        }
        let profile = self.profile
        let daemon = FileRefreshDaemon(what: "credentials", schedule: schedule, logger: logger) {
            force throws(ClientError) in
            let record = try source.credentials(forceRefresh: force)
            let c = record.credentials
            return RefreshedFiles(
                obtainedAt: record.obtainedAt,
                expiration: c.expiration,
                files: CredentialFileFormats.files(c, profile: profile).map { (dir + "/" + $0.name, $0.bytes) },
                metadata: [
                    "dir": "\(dir)", "access_key_id": "\(c.accessKeyId)",
                    "expiration": "\(c.expiration.map(ISO8601.string) ?? "none")",
                ]
            )
        }
        if refresh.once {
            do {
                let item = try daemon.refreshOnce()
                logger.info("credentials written", metadata: item.metadata)
            } catch {
                CLILogging.fail("credvend \(command): \(error.message)", code: 1)
            }
            return
        }
        logger.info(
            "credential-daemon started",
            metadata: [
                "dir": "\(dir)", "idp": "\(settings.idpType.rawValue)",
                "client_id": "\(settings.clientId)",
            ]
        )
        try await daemon.run(threadName: "credvend-credential-daemon")
    }
}

/// The refresh options both daemons take.
struct DaemonOptions: ParsableArguments {
    @Flag(help: "Write once and exit (status 1 on failure).")
    var once = false
    @Option(help: "Also refresh at least every this many seconds, even while what was written is fresh.")
    var refreshInterval: Double?
    @Option(help: "First wait after a failed refresh, in seconds; doubles on each failure in a row.")
    var minRetryDelay: Double = 5
    @Option(help: "Longest wait between retries, in seconds.")
    var maxRetryDelay: Double = 300

    func schedule(_ policy: ClientCachePolicy, command: String) -> RefreshSchedule {
        if let interval = refreshInterval, !(interval > 0) {
            CLILogging.fail("credvend \(command): --refresh-interval must be positive")
        }
        guard minRetryDelay > 0, maxRetryDelay >= minRetryDelay else {
            CLILogging.fail("credvend \(command): --min-retry-delay must be positive and not above --max-retry-delay")
        }
        return RefreshSchedule(
            policy: policy,
            maxInterval: refreshInterval,
            minRetryDelay: minRetryDelay,
            maxRetryDelay: maxRetryDelay
        )
    }
}
