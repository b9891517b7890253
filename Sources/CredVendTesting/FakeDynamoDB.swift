public import CredVendCore
import CredVendSync
import Foundation

/// A DynamoDB table keyed by `client_id`, in-process, as an `HTTPClient`. It recomputes
/// each request's SigV4 signature (service `dynamodb`) as AWS does, answers `Scan` in
/// pages of `pageSize` items in key order with `LastEvaluatedKey`, `GetItem`, and the
/// writes `PutItem`, `DeleteItem` and `TransactWriteItems` with their conditions
/// evaluated on the item as it is (`FakeDynamoDBCondition`): a failed condition is
/// `ConditionalCheckFailedException`, or `TransactionCanceledException` with one
/// `CancellationReasons` entry per action, and nothing is applied. A transaction's
/// `ClientRequestToken` seen before succeeds again without being applied again. It can
/// be told to fail the next requests or to lose the table.
public final class FakeDynamoDB: HTTPClient {
    public enum Answer: Sendable, Equatable {
        case normal
        /// A DynamoDB JSON error: `__type` `com.amazonaws.dynamodb.v20120810#<code>`.
        case error(status: Int, code: String)
        case network
        /// Applies the request, then loses the answer (a timeout after the write).
        case appliedThenNetwork
    }

    /// One Scan as received.
    public struct Call: Sendable {
        public let body: JSONValue?
        public let target: String?
        /// The error code answered, nil for a page.
        public let errorCode: String?
    }

    struct State {
        var items: [String: [String: DynamoDBAttributeValue]] = [:]
        var tableExists = true
        var script: [Answer] = []
        var calls: [Call] = []
        var tokens: Set<String> = []
    }

    public let source: AWSCredentials
    public let region: String
    public let tableName: String
    public let pageSize: Int
    private let clock: any WallClock
    private let state = Locked(State())
    private let signer = SigV4Signer()

    public init(
        tableName: String = "client_roles",
        pageSize: Int = 2,
        source: AWSCredentials = FakeSTS.sourceCredentials,
        region: String = "us-east-1",
        clock: any WallClock = SystemClock()
    ) {
        self.tableName = tableName
        self.pageSize = pageSize
        self.source = source
        self.region = region
        self.clock = clock
    }

    public var endpoint: String { "https://dynamodb.\(region).amazonaws.com" }

    /// An item as seeds/004's Terraform writes it, plus any extra attributes.
    public static func seedItem(
        _ clientId: String,
        role: String? = nil,
        extra: [String: DynamoDBAttributeValue] = [:]
    ) -> [String: DynamoDBAttributeValue] {
        var item: [String: DynamoDBAttributeValue] = [
            "client_id": .string(clientId),
            "role_arn": .string(role ?? "arn:aws:iam::123456789012:role/oidc-s3-dev-\(clientId)"),
            "server_name": .string("server-\(clientId)"), "s3_path_prefix": .string("backups/\(clientId)/"),
        ]
        item.merge(extra) { _, new in new }
        return item
    }

    public func put(_ item: [String: DynamoDBAttributeValue]) {
        guard case .string(let id)? = item["client_id"] else { return }
        state.withLock { $0.items[id] = item }
    }

    public func delete(_ clientId: String) { _ = state.withLock { $0.items.removeValue(forKey: clientId) } }

    /// Drops (false) or recreates empty (true) the table.
    public func setTableExists(_ exists: Bool) {
        state.withLock {
            $0.tableExists = exists
            $0.items = [:]
        }
    }

    /// The next answers, in order; once used up, `.normal`.
    public func script(_ answers: Answer...) { state.withLock { $0.script += answers } }

    public var calls: [Call] { state.withLock { $0.calls } }

    /// The item of `clientId` as the table holds it now.
    public func item(_ clientId: String) -> [String: DynamoDBAttributeValue]? {
        state.withLock { $0.items[clientId] }
    }

    /// Every client_id in the table, ordered bytewise.
    public var clientIds: [String] {
        state.withLock { $0.items.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
    }

    public func send(_ request: HTTPClientRequest) throws(CurlError) -> HTTPClientResponse {
        let target = request.headers.first { $0.0.lowercased() == "x-amz-target" }?.1
        let body = try? JSONParser.parse(request.body)
        let answer = state.withLock { s in s.script.isEmpty ? Answer.normal : s.script.removeFirst() }
        func record(_ code: String?) {
            state.withLock { $0.calls.append(Call(body: body, target: target, errorCode: code)) }
        }
        if answer == .network {
            record("network")
            throw CurlError(kind: .couldNotConnect, code: 7, message: "Could not connect to server")
        }
        var check = SigV4Check(source: source, region: region, signer: signer)
        check.service = "dynamodb"
        if let refusal = check.problem(with: request, now: clock.now()) {
            record(refusal.code)
            return Self.error(refusal.status, refusal.code ?? "UnrecognizedClientException")
        }
        if case .error(let status, let code) = answer {
            record(code)
            return Self.error(status, code)
        }
        let operation = target.map { String($0.dropFirst(DynamoDBRequestBuilder.targetPrefix.count)) } ?? ""
        if operation != "Scan" {
            let (response, code) = state.withLock { s in itemCall(operation, body ?? .null, state: &s) }
            record(code)
            if answer == .appliedThenNetwork {
                throw CurlError(kind: .timeout, code: 28, message: "Operation timed out")
            }
            return response
        }
        guard body?["TableName"]?.stringValue == tableName else {
            record("ResourceNotFoundException")
            return Self.error(400, "ResourceNotFoundException")
        }
        let page: HTTPClientResponse? = state.withLock { s in
            guard s.tableExists else { return nil }
            var start: String? = nil
            if case .string(let id)? = body?["ExclusiveStartKey"]?["client_id"].flatMap(
                DynamoDBAttributeValue.init(json:)
            ) {
                start = id
            }
            let keys = s.items.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                .filter { key in start.map { $0.utf8.lexicographicallyPrecedes(key.utf8) } ?? true }
            let taken = Array(keys.prefix(pageSize))
            var out: [String: JSONValue] = [
                "Items": .array(taken.map { DynamoDBAttributeValue.json(item: s.items[$0]!) }),
                "Count": .number(Double(taken.count)), "ScannedCount": .number(Double(taken.count)),
            ]
            if keys.count > taken.count, let last = taken.last {
                out["LastEvaluatedKey"] = DynamoDBAttributeValue.json(item: ["client_id": .string(last)])
            }
            return HTTPResponse(
                status: 200,
                headers: ["content-type": "application/x-amz-json-1.0"],
                body: JSONValue.object(out).serialized()
            )
        }
        guard let page else {
            record("ResourceNotFoundException")
            return Self.error(400, "ResourceNotFoundException")
        }
        record(nil)
        return page
    }

    static func error(_ status: Int, _ code: String, reasons: [String]? = nil) -> HTTPClientResponse {
        var body: JSONValue = [
            "__type": .string("com.amazonaws.dynamodb.v20120810#\(code)"), "message": .string("fake \(code)"),
        ]
        if let reasons, case .object(var members) = body {
            members["CancellationReasons"] = .array(reasons.map { .object(["Code": .string($0)]) })
            body = .object(members)
        }
        return HTTPResponse(
            status: status,
            headers: ["content-type": "application/x-amz-json-1.0"],
            body: body.serialized()
        )
    }
}
