public import CredVendCore
import CredVendCrypto
import CredVendHTTP
import Foundation
public import Logging

/// Calls STS over HTTPS, retrying throttling, 5xx and network failures with jittered
/// backoff (3 attempts): blocking (`assumeRole`), or answering later (`startAssumeRole`,
/// through `transfers`) with no thread waiting. `serve` starts its calls from `STSCallPool`
/// without retrying throttling here: the pool paces those retries by its adaptive limit
/// instead of sleeping and calling again.
public final class STSClient: Sendable {
    public let builder: AssumeRoleRequestBuilder
    private let client: any HTTPClient
    private let transfers: any HTTPTransfers
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
        transfers: (any HTTPTransfers)? = nil,
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
        self.transfers = transfers ?? BlockingTransfers(client)
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
        return assumed(
            call(action: .assumeRole, secrets: Self.secrets(source), retryThrottling: retryThrottling) {
                () throws(OpenSSLError) in
                try builder.assumeRole(parameters, credentials: source, date: clock.now())
            },
            mapping,
            parameters
        )
    }

    /// `assumeRoleCall` with no thread waiting for STS: `completion` gets the answer on the
    /// thread of `transfers`.
    public func startAssumeRole(
        mapping: RoleMapping,
        source: AWSCredentials,
        retryThrottling: Bool = true,
        completion: @escaping @Sendable (Result<AWSCredentials, STSError>) -> Void
    ) {
        let parameters = AssumeRoleParameters(mapping: mapping)
        start(
            action: .assumeRole,
            secrets: Self.secrets(source),
            retryThrottling: retryThrottling,
            attempt: 1,
            makeRequest: { [builder, clock] () throws(OpenSSLError) in
                try builder.assumeRole(parameters, credentials: source, date: clock.now())
            },
            completion: { [self] in completion(assumed($0, mapping, parameters)) }
        )
    }

    private static func secrets(_ source: AWSCredentials) -> [String] {
        [source.secretAccessKey] + (source.sessionToken.map { [$0] } ?? [])
    }

    private func assumed(
        _ result: Result<AssumedRole, STSError>,
        _ mapping: RoleMapping,
        _ parameters: AssumeRoleParameters
    ) -> Result<AWSCredentials, STSError> {
        result.map { role in
            // Debug: the audit log already says who got which role, once per request.
            logger.debug(
                "assumed role",
                metadata: [
                    "client_id": "\(mapping.clientId)", "role_arn": "\(mapping.roleArn)",
                    "session": "\(parameters.roleSessionName)", "access_key_id": "\(role.credentials.accessKeyId)",
                    "expiration": "\(role.credentials.expiration.map(ISO8601.string) ?? "none")",
                ]
            )
            return role.credentials
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
            // Re-signed per attempt: the signature carries the time.
            let request: HTTPClientRequest
            switch signed(secrets, makeRequest) {
            case .success(let r): request = r
            case .failure(let e): return .failure(e)
            }
            let sent: Result<HTTPClientResponse, CurlError>
            do throws(CurlError) {
                sent = .success(try client.send(request))
            } catch {
                sent = .failure(error)
            }
            let result = answer(sent, action: action, secrets: secrets)
            guard case .failure(let error) = result,
                let delay = retryDelay(error, attempt: attempt, retryThrottling: retryThrottling)
            else { return result }
            attempt += 1
            Thread.sleep(forTimeInterval: delay.inSeconds)
        }
    }

    /// `call` through `transfers`: a retry waits on a timer, not on a thread.
    private func start(
        action: STSAction,
        secrets: [String],
        retryThrottling: Bool,
        attempt: Int,
        makeRequest: @escaping @Sendable () throws(OpenSSLError) -> SignedAWSRequest,
        completion: @escaping @Sendable (Result<AssumedRole, STSError>) -> Void
    ) {
        let request: HTTPClientRequest
        switch signed(secrets, makeRequest) {
        case .success(let r): request = r
        case .failure(let e): return completion(.failure(e))
        }
        transfers.start(request) { [self] sent in
            let result = answer(sent, action: action, secrets: secrets)
            guard case .failure(let error) = result,
                let delay = retryDelay(error, attempt: attempt, retryThrottling: retryThrottling)
            else { return completion(result) }
            DispatchQueue.global().asyncAfter(deadline: .now() + delay.inSeconds) { [self] in
                start(
                    action: action,
                    secrets: secrets,
                    retryThrottling: retryThrottling,
                    attempt: attempt + 1,
                    makeRequest: makeRequest,
                    completion: completion
                )
            }
        }
    }

    /// The signed request, or the failure that stops the call: it must not go out unsigned.
    private func signed(
        _ secrets: [String],
        _ makeRequest: () throws(OpenSSLError) -> SignedAWSRequest
    ) -> Result<HTTPClientRequest, STSError> {
        do throws(OpenSSLError) {
            return .success(try makeRequest().clientRequest(timeout: timeout))
        } catch {
            metrics?.stsCalls.increment("error")
            logger.error("STS request could not be signed", metadata: ["error": "\(error)"])
            return .failure(
                STSError(code: STSError.Code.signingFailed, message: "\(error)", httpStatus: nil, redacting: secrets)
            )
        }
    }

    /// One attempt's answer, counted in `credvend_sts_calls_total`.
    private func answer(
        _ sent: Result<HTTPClientResponse, CurlError>,
        action: STSAction,
        secrets: [String]
    ) -> Result<AssumedRole, STSError> {
        switch sent {
        case .success(let response):
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
                metrics?.stsCalls.increment(e.isThrottling ? "throttled" : "error")
                return .failure(e)
            }
        case .failure(let curlError):
            metrics?.stsCalls.increment("network_error")
            return .failure(STSError.network("\(curlError)", redacting: secrets))
        }
    }

    /// How long to wait before trying again, or nil when `error` is the final answer.
    private func retryDelay(_ error: STSError, attempt: Int, retryThrottling: Bool) -> Duration? {
        if error.isThrottling && !retryThrottling { return nil }
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
            return nil
        }
        logger.info("STS call failed; retrying", metadata: ["code": "\(error.code)", "attempt": "\(attempt)"])
        return delay
    }
}
