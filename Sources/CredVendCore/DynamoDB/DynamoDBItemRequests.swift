/// A condition a write carries: `ConditionExpression` with its `ExpressionAttributeNames`
/// and `ExpressionAttributeValues`. DynamoDB applies the write only when the condition
/// holds for the item as it is at that moment, atomically.
public struct DynamoDBCondition: Sendable, Equatable {
    public var expression: String
    public var names: [String: String]
    public var values: [String: DynamoDBAttributeValue]

    public init(_ expression: String, names: [String: String] = [:], values: [String: DynamoDBAttributeValue] = [:]) {
        self.expression = expression
        self.names = names
        self.values = values
    }

    func add(to members: inout [String: JSONValue]) {
        members["ConditionExpression"] = .string(expression)
        if !names.isEmpty { members["ExpressionAttributeNames"] = .object(names.mapValues(JSONValue.string)) }
        if !values.isEmpty { members["ExpressionAttributeValues"] = DynamoDBAttributeValue.json(item: values) }
    }
}

/// One write of a single item: a whole-item `Put` or a `Delete` by key, each with an
/// optional condition. Sent alone (`PutItem`, `DeleteItem`) or as one action of a
/// `TransactWriteItems`.
public enum DynamoDBWrite: Sendable, Equatable {
    case put(item: [String: DynamoDBAttributeValue], condition: DynamoDBCondition?)
    case delete(key: [String: DynamoDBAttributeValue], condition: DynamoDBCondition?)

    /// `PutItem` or `DeleteItem`.
    public var operation: String {
        switch self {
        case .put: "PutItem"
        case .delete: "DeleteItem"
        }
    }

    /// The request's members (the same for the single call and for a transaction's action).
    func members(table: String) -> [String: JSONValue] {
        var members: [String: JSONValue] = ["TableName": .string(table)]
        let condition: DynamoDBCondition?
        switch self {
        case .put(let item, let c):
            members["Item"] = DynamoDBAttributeValue.json(item: item)
            condition = c
        case .delete(let key, let c):
            members["Key"] = DynamoDBAttributeValue.json(item: key)
            condition = c
        }
        condition?.add(to: &members)
        return members
    }

    /// The body of the single call (`PutItem` / `DeleteItem`), members sorted.
    public func body(table: String) -> [UInt8] { JSONValue.object(members(table: table)).serialized() }

    /// Bytes this action adds to a transaction (its share of the 4 MB limit).
    public func size(table: String) -> Int { body(table: table).count }
}

/// The item calls of DynamoDB's JSON protocol (API version 2012-08-10) credvend makes
/// besides Scan: a consistent `GetItem`, and `TransactWriteItems` for an import.
public enum DynamoDBItemRequests {
    /// DynamoDB's limits for one `TransactWriteItems`: 100 actions, 4 MB of items in all
    /// (API reference, TransactWriteItems), and no two actions on the same item.
    public static let maxTransactActions = 100
    public static let maxTransactBytes = 4_000_000

    /// `{"ConsistentRead":true,"Key":{...},"TableName":"..."}`.
    public static func getItem(table: String, key: [String: DynamoDBAttributeValue]) -> [UInt8] {
        JSONValue.object([
            "TableName": .string(table), "Key": DynamoDBAttributeValue.json(item: key), "ConsistentRead": .bool(true),
        ]).serialized()
    }

    /// `{"ClientRequestToken":"...","TransactItems":[{"Put":{...}},{"Delete":{...}}]}`. The
    /// token makes a retried call idempotent for 10 minutes: a transaction that was applied
    /// before its answer got lost is not applied twice, and the retry succeeds.
    public static func transactWrite(_ writes: [DynamoDBWrite], table: String, clientRequestToken: String) -> [UInt8] {
        let actions: [JSONValue] = writes.map { write in
            switch write {
            case .put: .object(["Put": .object(write.members(table: table))])
            case .delete: .object(["Delete": .object(write.members(table: table))])
            }
        }
        return JSONValue.object(["TransactItems": .array(actions), "ClientRequestToken": .string(clientRequestToken)])
            .serialized()
    }

    /// Splits `writes` into transactions DynamoDB takes: at most 100 actions and under
    /// 4 MB each, in order.
    public static func chunks(_ writes: [DynamoDBWrite], table: String) -> [[DynamoDBWrite]] {
        var out: [[DynamoDBWrite]] = []
        var current: [DynamoDBWrite] = []
        var bytes = 0
        for write in writes {
            let size = write.size(table: table)
            if !current.isEmpty, current.count == maxTransactActions || bytes + size > maxTransactBytes {
                out.append(current)
                current = []
                bytes = 0
            }
            current.append(write)
            bytes += size
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// A `GetItem` answer: the item, or nil when there is none (`{}`).
    public static func parseGetItem(
        status: Int,
        body: [UInt8],
        redacting secrets: [String] = []
    ) throws(DynamoDBError) -> [String: DynamoDBAttributeValue]? {
        let json = try parseSuccess(status: status, body: body, redacting: secrets, operation: "GetItem")
        guard let raw = json["Item"], raw != .null else { return nil }
        guard let members = raw.objectValue, let item = DynamoDBAttributeValue.item(members) else {
            throw DynamoDBError(
                code: DynamoDBError.Code.malformedResponse,
                message: "the GetItem response's Item is not a DynamoDB item",
                httpStatus: status
            )
        }
        return item
    }

    /// A write's answer (`PutItem`, `DeleteItem`, `TransactWriteItems`): a 2xx with a JSON
    /// object, or the error a non-2xx describes (`ConditionalCheckFailedException`,
    /// `TransactionCanceledException` with its reasons, ...).
    public static func parseWrite(
        status: Int,
        body: [UInt8],
        redacting secrets: [String] = [],
        operation: String
    ) throws(DynamoDBError) {
        _ = try parseSuccess(status: status, body: body, redacting: secrets, operation: operation)
    }

    private static func parseSuccess(
        status: Int,
        body: [UInt8],
        redacting secrets: [String],
        operation: String
    ) throws(DynamoDBError) -> JSONValue {
        guard (200..<300).contains(status) else {
            throw DynamoDBError.from(status: status, body: body, redacting: secrets)
        }
        guard let json = try? JSONParser.parse(body), json.objectValue != nil else {
            throw DynamoDBError(
                code: DynamoDBError.Code.malformedResponse,
                message: "the \(operation) response is not a JSON object",
                httpStatus: status
            )
        }
        return json
    }
}
