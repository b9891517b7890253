import CredVendCore

/// `FakeDynamoDB`'s item calls: `GetItem`, `PutItem`, `DeleteItem`, `TransactWriteItems`.
extension FakeDynamoDB {
    /// One item call on `s` (under the table's lock, so a transaction is atomic): the
    /// response and the error code recorded (nil for success).
    func itemCall(_ operation: String, _ body: JSONValue, state s: inout State) -> (HTTPClientResponse, String?) {
        func fail(_ status: Int, _ code: String, reasons: [String]? = nil) -> (HTTPClientResponse, String?) {
            (Self.error(status, code, reasons: reasons), code)
        }
        guard s.tableExists else { return fail(400, "ResourceNotFoundException") }
        switch operation {
        case "GetItem":
            guard body["TableName"]?.stringValue == tableName else { return fail(400, "ResourceNotFoundException") }
            guard let id = Self.keyId(body["Key"]) else { return fail(400, "ValidationException") }
            let out: JSONValue = s.items[id].map { ["Item": DynamoDBAttributeValue.json(item: $0)] } ?? [:]
            return (Self.ok(out), nil)
        case "PutItem", "DeleteItem":
            switch action(operation == "PutItem" ? "Put" : "Delete", body, items: s.items) {
            case .failure(let error): return fail(400, error.code)
            case .success((let id, let item, let holds)):
                guard holds else { return fail(400, "ConditionalCheckFailedException") }
                s.items[id] = item
                return (Self.ok([:]), nil)
            }
        case "TransactWriteItems":
            guard let actions = body["TransactItems"]?.arrayValue, (1...100).contains(actions.count) else {
                return fail(400, "ValidationException")
            }
            if let token = body["ClientRequestToken"]?.stringValue, s.tokens.contains(token) {
                return (Self.ok([:]), nil)  // applied before: idempotent
            }
            var planned: [(String, [String: DynamoDBAttributeValue]?)] = []
            var reasons: [String] = []
            for raw in actions {
                guard let (kind, inner) = raw.objectValue?.first, raw.objectValue?.count == 1 else {
                    return fail(400, "ValidationException")
                }
                switch action(kind, inner, items: s.items) {
                case .failure(let error): return fail(400, error.code)
                case .success((let id, let item, let holds)):
                    guard !planned.contains(where: { $0.0 == id }) else { return fail(400, "ValidationException") }
                    planned.append((id, item))
                    reasons.append(holds ? "None" : "ConditionalCheckFailed")
                }
            }
            guard reasons.allSatisfy({ $0 == "None" }) else {
                return fail(400, "TransactionCanceledException", reasons: reasons)
            }
            for (id, item) in planned { s.items[id] = item }
            if let token = body["ClientRequestToken"]?.stringValue { s.tokens.insert(token) }
            return (Self.ok([:]), nil)
        default:
            return fail(400, "UnknownOperationException")
        }
    }

    /// A `Put` or `Delete` (alone or in a transaction): its item's id, the item after it
    /// (nil: deleted), and whether its condition holds now; or the error code.
    private func action(
        _ kind: String,
        _ body: JSONValue,
        items: [String: [String: DynamoDBAttributeValue]]
    ) -> Result<(String, [String: DynamoDBAttributeValue]?, Bool), CodeError> {
        guard body["TableName"]?.stringValue == tableName else { return .failure("ResourceNotFoundException") }
        let id: String
        let after: [String: DynamoDBAttributeValue]?
        switch kind {
        case "Put":
            guard let members = body["Item"]?.objectValue, let item = DynamoDBAttributeValue.item(members),
                case .string(let key)? = item["client_id"]
            else { return .failure("ValidationException") }
            id = key
            after = item
        case "Delete":
            guard let key = Self.keyId(body["Key"]) else { return .failure("ValidationException") }
            id = key
            after = nil
        default:
            return .failure("ValidationException")
        }
        guard let expression = body["ConditionExpression"]?.stringValue else { return .success((id, after, true)) }
        let names = (body["ExpressionAttributeNames"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        let values = body["ExpressionAttributeValues"]?.objectValue.flatMap(DynamoDBAttributeValue.item) ?? [:]
        do {
            let holds = try FakeDynamoDBCondition.holds(expression, names: names, values: values, item: items[id])
            return .success((id, after, holds))
        } catch {
            return .failure("ValidationException")
        }
    }

    struct CodeError: Error, ExpressibleByStringLiteral {
        let code: String
        init(stringLiteral code: String) { self.code = code }
    }

    private static func keyId(_ key: JSONValue?) -> String? {
        guard let members = key?.objectValue, members.count == 1,
            case .string(let id)? = DynamoDBAttributeValue.item(members)?["client_id"]
        else { return nil }
        return id
    }

    static func ok(_ body: JSONValue) -> HTTPClientResponse {
        HTTPResponse(status: 200, headers: ["content-type": "application/x-amz-json-1.0"], body: body.serialized())
    }
}
