/// One `Scan` call of DynamoDB's JSON protocol (API version 2012-08-10): the body
/// credvend sends, and the page it gets back.
public struct DynamoDBScanRequest: Sendable, Equatable {
    public var tableName: String
    /// Strongly consistent: every write acknowledged before the scan began is seen.
    public var consistentRead: Bool
    /// The previous page's `LastEvaluatedKey`; nil for the first page.
    public var exclusiveStartKey: [String: DynamoDBAttributeValue]?
    /// Items per page at most; nil lets DynamoDB fill 1 MB pages.
    public var limit: Int?

    public init(
        tableName: String,
        consistentRead: Bool = true,
        exclusiveStartKey: [String: DynamoDBAttributeValue]? = nil,
        limit: Int? = nil
    ) {
        self.tableName = tableName
        self.consistentRead = consistentRead
        self.exclusiveStartKey = exclusiveStartKey
        self.limit = limit
    }

    /// `{"ConsistentRead":true,"ExclusiveStartKey":{...},"Limit":N,"TableName":"..."}` (sorted members).
    public var body: [UInt8] {
        var members: [String: JSONValue] = ["TableName": .string(tableName), "ConsistentRead": .bool(consistentRead)]
        if let exclusiveStartKey { members["ExclusiveStartKey"] = DynamoDBAttributeValue.json(item: exclusiveStartKey) }
        if let limit { members["Limit"] = .number(Double(limit)) }
        return JSONValue.object(members).serialized()
    }
}

/// One page of a Scan: its items, and where the next page starts (nil: this was the last).
public struct DynamoDBScanPage: Sendable, Equatable {
    public var items: [[String: DynamoDBAttributeValue]]
    public var lastEvaluatedKey: [String: DynamoDBAttributeValue]?

    public init(items: [[String: DynamoDBAttributeValue]], lastEvaluatedKey: [String: DynamoDBAttributeValue]?) {
        self.items = items
        self.lastEvaluatedKey = lastEvaluatedKey
    }

    /// A response: a 200 with `Items` (an array of items) and optional
    /// `LastEvaluatedKey`, or the error a non-2xx response describes.
    public static func parse(
        status: Int,
        body: [UInt8],
        redacting secrets: [String] = []
    ) throws(DynamoDBError) -> DynamoDBScanPage {
        guard (200..<300).contains(status) else {
            throw DynamoDBError.from(status: status, body: body, redacting: secrets)
        }
        func malformed(_ why: String) -> DynamoDBError {
            DynamoDBError(code: DynamoDBError.Code.malformedResponse, message: why, httpStatus: status)
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(body)
        } catch {
            throw malformed("the Scan response is not JSON (\(error.reason) at byte \(error.offset))")
        }
        guard let rawItems = json["Items"]?.arrayValue else { throw malformed("the Scan response has no Items array") }
        var items: [[String: DynamoDBAttributeValue]] = []
        items.reserveCapacity(rawItems.count)
        for (index, raw) in rawItems.enumerated() {
            guard let members = raw.objectValue, let item = DynamoDBAttributeValue.item(members) else {
                throw malformed("item \(index) of the Scan response is not a DynamoDB item")
            }
            items.append(item)
        }
        var next: [String: DynamoDBAttributeValue]? = nil
        if let raw = json["LastEvaluatedKey"], raw != .null {
            guard let members = raw.objectValue, let key = DynamoDBAttributeValue.item(members), !key.isEmpty else {
                throw malformed("the Scan response's LastEvaluatedKey is not a DynamoDB key")
            }
            next = key
        }
        return DynamoDBScanPage(items: items, lastEvaluatedKey: next)
    }
}
