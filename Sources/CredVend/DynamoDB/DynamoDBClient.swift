public import CredVendCore
import CredVendCrypto
import Foundation
public import Logging

/// Calls DynamoDB's JSON protocol over HTTPS (blocking: run it off the HTTP threads),
/// signed with the source credentials: Scan, GetItem, and the conditional writes.
/// Each page is retried on throttling, 5xx and
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
        try call("Scan", body: scan.body, source: source, retry: .allRetryable) {
            (status: Int, body: [UInt8], secrets: [String]) throws(DynamoDBError) in
            try DynamoDBScanPage.parse(status: status, body: body, redacting: secrets)
        }
    }

    /// A consistent `GetItem`: the item, or nil when there is none. Retried as a Scan page.
    public func getItem(
        table: String,
        key: [String: DynamoDBAttributeValue],
        source: AWSCredentials
    ) throws(DynamoDBError) -> [String: DynamoDBAttributeValue]? {
        try call(
            "GetItem",
            body: DynamoDBItemRequests.getItem(table: table, key: key),
            source: source,
            retry: .allRetryable
        ) { (status: Int, body: [UInt8], secrets: [String]) throws(DynamoDBError) in
            try DynamoDBItemRequests.parseGetItem(status: status, body: body, redacting: secrets)
        }
    }

    /// One `PutItem` or `DeleteItem` with its condition. Retried only on throttling, which
    /// DynamoDB answers without applying the write: after a timeout or a 5xx the write may
    /// have been applied, and a retry would then fail its own condition and look like a
    /// lost race. Such a failure is reported as it is; read the item to see where it stands.
    public func write(_ write: DynamoDBWrite, table: String, source: AWSCredentials) throws(DynamoDBError) {
        try call(
            write.operation,
            body: write.body(table: table),
            source: source,
            retry: .throttlingOnly
        ) { (status: Int, body: [UInt8], secrets: [String]) throws(DynamoDBError) in
            try DynamoDBItemRequests.parseWrite(
                status: status,
                body: body,
                redacting: secrets,
                operation: write.operation
            )
        }
    }

    /// One `TransactWriteItems` (at most 100 actions): all applied or none. Retried as a
    /// Scan page, safely: the same `ClientRequestToken` on every attempt makes DynamoDB
    /// apply it at most once.
    public func transactWrite(
        _ writes: [DynamoDBWrite],
        table: String,
        clientRequestToken: String,
        source: AWSCredentials
    ) throws(DynamoDBError) {
        let body = DynamoDBItemRequests.transactWrite(writes, table: table, clientRequestToken: clientRequestToken)
        try call("TransactWriteItems", body: body, source: source, retry: .allRetryable) {
            (status: Int, body: [UInt8], secrets: [String]) throws(DynamoDBError) in
            try DynamoDBItemRequests.parseWrite(
                status: status,
                body: body,
                redacting: secrets,
                operation: "TransactWriteItems"
            )
        }
    }

    /// Which failures a call is retried on.
    private enum Retry {
        /// Every retryable failure (throttling, 5xx, network): reads, and transactions
        /// (whose request token makes a repeat harmless).
        case allRetryable
        /// Only throttling, which DynamoDB answers without applying anything.
        case throttlingOnly

        func covers(_ error: DynamoDBError) -> Bool {
            switch self {
            case .allRetryable: error.isRetryable
            case .throttlingOnly: DynamoDBError.throttlingCodes.contains(error.code) || error.httpStatus == 429
            }
        }
    }

    /// One call, signed afresh per attempt (the signature carries the time), retried
    /// while `retry` says so and the policy allows.
    private func call<T>(
        _ operation: String,
        body: [UInt8],
        source: AWSCredentials,
        retry which: Retry,
        parse: (Int, [UInt8], [String]) throws(DynamoDBError) -> T
    ) throws(DynamoDBError) -> T {
        let secrets = [source.secretAccessKey] + (source.sessionToken.map { [$0] } ?? [])
        var attempt = 1
        while true {
            let error: DynamoDBError
            do {
                let response = try send(operation, body: body, source: source)
                return try parse(response.status, response.body, secrets)
            } catch let e {
                error = e
            }
            guard which.covers(error), attempt < retry.maxAttempts,
                let delay = retry.delay(afterAttempt: attempt, unitRandom: unitRandom)
            else { throw error }
            logger.info(
                "DynamoDB call failed; retrying",
                metadata: ["operation": "\(operation)", "code": "\(error.code)", "attempt": "\(attempt)"]
            )
            attempt += 1
            Thread.sleep(forTimeInterval: delay.inSeconds)
        }
    }

    private func send(
        _ operation: String,
        body: [UInt8],
        source: AWSCredentials
    ) throws(DynamoDBError)
        -> HTTPClientResponse
    {
        let request: SignedAWSRequest
        do {
            request = try builder.request(operation: operation, body: body, credentials: source, date: clock.now())
        } catch {
            throw DynamoDBError(code: DynamoDBError.Code.signingFailed, message: "\(error)", httpStatus: nil)
        }
        do {
            return try client.send(request.clientRequest(timeout: timeout, maxResponseBytes: 8 << 20))
        } catch {
            throw DynamoDBError.network("\(error)")
        }
    }
}
