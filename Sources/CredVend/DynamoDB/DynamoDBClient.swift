public import CredVendCore
import CredVendCrypto
import Foundation
public import Logging

/// Calls DynamoDB's JSON protocol over HTTPS (blocking: run it off the HTTP threads),
/// signed with the source credentials. Each page is retried on throttling, 5xx and
/// network failures with jittered backoff; every exchange has a bounded timeout, so a
/// stopped peer costs at most `attempts × timeout` per page.
public final class DynamoDBClient: Sendable {
    public let builder: DynamoDBRequestBuilder
    private let client: any HTTPClient
    private let retry: RetryPolicy
    private let timeout: Duration
    private let clock: any WallClock
    private let unitRandom: @Sendable () -> Double
    private let logger: Logger

    public init(
        endpoint: String,
        region: String,
        client: any HTTPClient,
        retry: RetryPolicy = .default,
        timeout: Duration = .seconds(10),
        clock: any WallClock = SystemClock(),
        unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        logger: Logger
    ) throws(ConfigurationError) {
        let parsed: AWSEndpoint
        do throws(AWSEndpoint.Invalid) {
            parsed = try AWSEndpoint(endpoint)
        } catch {
            throw ConfigurationError("--dynamodb-endpoint \"\(endpoint)\" \(error.reason)")
        }
        builder = DynamoDBRequestBuilder(endpoint: parsed, region: region)
        self.client = client
        self.retry = retry
        self.timeout = timeout
        self.clock = clock
        self.unitRandom = unitRandom
        self.logger = logger
    }

    /// Every item of `table`: a consistent Scan, page after page until DynamoDB gives no
    /// `LastEvaluatedKey`. Throws on the first page that fails for good: the caller then
    /// has no items at all, never a part of the table.
    public func scanAll(
        table: String,
        source: AWSCredentials,
        pageLimit: Int? = nil
    ) throws(DynamoDBError) -> (items: [[String: DynamoDBAttributeValue]], pages: Int) {
        var items: [[String: DynamoDBAttributeValue]] = []
        var start: [String: DynamoDBAttributeValue]? = nil
        var pages = 0
        repeat {
            let page = try scanPage(
                DynamoDBScanRequest(tableName: table, consistentRead: true, exclusiveStartKey: start, limit: pageLimit),
                source: source
            )
            pages += 1
            items += page.items
            start = page.lastEvaluatedKey
        } while start != nil
        return (items, pages)
    }

    /// One page, retried as the policy allows.
    public func scanPage(_ scan: DynamoDBScanRequest, source: AWSCredentials) throws(DynamoDBError) -> DynamoDBScanPage
    {
        let secrets = [source.secretAccessKey] + (source.sessionToken.map { [$0] } ?? [])
        var attempt = 1
        while true {
            let error: DynamoDBError
            do {
                return try send(scan, source: source, secrets: secrets)
            } catch let e {
                error = e
            }
            guard error.isRetryable, attempt < retry.maxAttempts,
                let delay = retry.delay(afterAttempt: attempt, unitRandom: unitRandom)
            else { throw error }
            logger.info("DynamoDB Scan failed; retrying", metadata: ["code": "\(error.code)", "attempt": "\(attempt)"])
            attempt += 1
            let parts = delay.components
            Thread.sleep(forTimeInterval: Double(parts.seconds) + Double(parts.attoseconds) / 1e18)
        }
    }

    private func send(
        _ scan: DynamoDBScanRequest,
        source: AWSCredentials,
        secrets: [String]
    ) throws(DynamoDBError) -> DynamoDBScanPage {
        // Signed per attempt: the signature carries the time.
        let request: SignedAWSRequest
        do {
            request = try builder.scan(scan, credentials: source, date: clock.now())
        } catch {
            throw DynamoDBError(code: DynamoDBError.Code.signingFailed, message: "\(error)", httpStatus: nil)
        }
        let response: HTTPClientResponse
        do {
            response = try client.send(
                HTTPClientRequest(
                    method: request.method,
                    url: request.url,
                    headers: request.headers.map { ($0.name, $0.value) },
                    body: request.body,
                    connectTimeout: .seconds(3),
                    timeout: timeout,
                    maxResponseBytes: 8 << 20
                )
            )
        } catch {
            throw DynamoDBError.network("\(error)")
        }
        return try DynamoDBScanPage.parse(status: response.status, body: response.body, redacting: secrets)
    }
}
