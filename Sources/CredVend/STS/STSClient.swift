public import CredVendCore
import CredVendCrypto
import CredVendHTTP
import Foundation
public import Logging

/// Calls STS over HTTPS (blocking; run it off the HTTP threads), retrying
/// throttling, 5xx and network failures with jittered backoff (3 attempts). `serve`
/// calls it from `STSCallPool` without retrying throttling here: the pool paces those
/// retries by its adaptive limit instead of sleeping and calling again.
public final class STSClient: Sendable {
    public let builder: AssumeRoleRequestBuilder
    private let client: any HTTPClient
    private let retry: RetryPolicy
    private let metrics: ServerMetrics?
    private let logger: Logger
    private let timeout: Duration
    /// The signing time: STS refuses a signature more than 15 minutes off its own clock.
    private let clock: any WallClock

    public init(
        endpoint: String,
        region: String,
        client: any HTTPClient,
        retry: RetryPolicy = .default,
        timeout: Duration = .seconds(10),
        metrics: ServerMetrics?,
        logger: Logger,
        clock: any WallClock = SystemClock()
    ) throws(STSError) {
        self.clock = clock
        do throws(AWSEndpoint.Invalid) {
            self.builder = AssumeRoleRequestBuilder(endpoint: try AWSEndpoint(endpoint), region: region)
        } catch {
            throw .invalidEndpoint("the STS endpoint \(error.reason)")
        }
        self.client = client
        self.retry = retry
        self.timeout = timeout
        self.metrics = metrics
        self.logger = logger
    }

    /// AssumeRole for a role mapping, signed with the source credentials.
    public func assumeRole(mapping: RoleMapping, source: AWSCredentials) -> Result<AWSCredentials, APIError> {
        assumeRoleCall(mapping: mapping, source: source).mapError { Self.upstream(mapping, $0) }
    }

    /// The 502 for a failed AssumeRole: STS's code and message.
    public static func upstream(_ mapping: RoleMapping, _ e: STSError) -> APIError {
        .upstream("STS AssumeRole for \(mapping.roleArn) failed: \(e.code): \(e.message)")
    }

    /// `assumeRole`, with STS's error as it came (to tell a refusal from a failure).
    /// `retryThrottling`: false answers a throttled call at once, for the caller to pace.
    public func assumeRoleCall(
        mapping: RoleMapping,
        source: AWSCredentials,
        retryThrottling: Bool = true
    ) -> Result<AWSCredentials, STSError> {
        let parameters = AssumeRoleParameters(mapping: mapping)
        let secrets = [source.secretAccessKey] + (source.sessionToken.map { [$0] } ?? [])
        let result = call(action: .assumeRole, secrets: secrets, retryThrottling: retryThrottling) {
            () throws(OpenSSLError) in
            try builder.assumeRole(parameters, credentials: source, date: clock.now())
        }
        switch result {
        case .success(let role):
            logger.info(
                "assumed role",
                metadata: [
                    "client_id": "\(mapping.clientId)", "role_arn": "\(mapping.roleArn)",
                    "session": "\(parameters.roleSessionName)", "access_key_id": "\(role.credentials.accessKeyId)",
                    "expiration": "\(role.credentials.expiration.map(ISO8601.string) ?? "none")",
                ]
            )
            return .success(role.credentials)
        case .failure(let e):
            return .failure(e)
        }
    }

    /// AssumeRoleWithWebIdentity: unsigned, the OIDC token is the credential.
    public func assumeRoleWithWebIdentity(
        roleArn: String,
        sessionName: String,
        token: String,
        durationSeconds: Int
    ) -> Result<AssumedRole, STSError> {
        call(action: .assumeRoleWithWebIdentity, secrets: [token]) {
            builder.assumeRoleWithWebIdentity(
                roleArn: roleArn,
                roleSessionName: sessionName,
                webIdentityToken: token,
                durationSeconds: durationSeconds
            )
        }
    }

    private func call(
        action: STSAction,
        secrets: [String],
        retryThrottling: Bool = true,
        makeRequest: () throws(OpenSSLError) -> SignedAWSRequest
    ) -> Result<AssumedRole, STSError> {
        var attempt = 1
        while true {
            let error: STSError
            // Re-signed per attempt: the signature carries the time.
            let request: SignedAWSRequest
            do {
                request = try makeRequest()
            } catch {
                metrics?.stsCalls.increment("error")
                logger.error("STS request could not be signed", metadata: ["error": "\(error)"])
                return .failure(
                    STSError(
                        code: STSError.Code.signingFailed,
                        message: "\(error)",
                        httpStatus: nil,
                        redacting: secrets
                    )
                )
            }
            do {
                let response = try client.send(
                    HTTPClientRequest(
                        method: request.method,
                        url: request.url,
                        headers: request.headers.map { ($0.name, $0.value) },
                        body: request.body,
                        connectTimeout: .seconds(3),
                        timeout: timeout
                    )
                )
                do {
                    let role = try STSResponseParser.parse(
                        response.body,
                        httpStatus: response.status,
                        action: action,
                        redacting: secrets
                    )
                    metrics?.stsCalls.increment("success")
                    return .success(role)
                } catch let e {
                    error = e
                    metrics?.stsCalls.increment(e.isThrottling ? "throttled" : "error")
                }
            } catch let curlError {
                error = STSError.network("\(curlError)", redacting: secrets)
                metrics?.stsCalls.increment("network_error")
            }
            if error.isThrottling && !retryThrottling { return .failure(error) }
            if let final = retryOrFail(error, &attempt) { return final }
        }
    }

    /// nil to try again (after sleeping), or the final failure.
    private func retryOrFail(_ error: STSError, _ attempt: inout Int) -> Result<AssumedRole, STSError>? {
        guard retry.shouldRetry(error, afterAttempt: attempt),
            let delay = retry.delay(afterAttempt: attempt, unitRandom: { Double.random(in: 0..<1) })
        else {
            logger.warning(
                "STS call failed",
                metadata: [
                    "code": "\(error.code)", "attempts": "\(attempt)",
                    "error": "\(error.message)",
                ]
            )
            return .failure(error)
        }
        logger.info("STS call failed; retrying", metadata: ["code": "\(error.code)", "attempt": "\(attempt)"])
        attempt += 1
        Thread.sleep(forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
        return nil
    }
}
