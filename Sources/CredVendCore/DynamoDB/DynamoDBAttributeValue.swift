/// One attribute value of DynamoDB's JSON protocol: an object with exactly one member
/// whose name is the type (`{"S": "text"}`, `{"N": "42"}`, ...). Numbers stay text, as
/// DynamoDB sends them (up to 38 digits, more than a Double holds); binaries stay base64.
public indirect enum DynamoDBAttributeValue: Sendable, Equatable {
    case string(String)
    case number(String)
    case binary(String)
    case bool(Bool)
    case null
    case stringSet([String])
    case numberSet([String])
    case binarySet([String])
    case list([DynamoDBAttributeValue])
    case map([String: DynamoDBAttributeValue])

    /// The type's name on the wire (`S`, `N`, `B`, `BOOL`, `NULL`, `SS`, `NS`, `BS`, `L`, `M`).
    public var typeName: String {
        switch self {
        case .string: "S"
        case .number: "N"
        case .binary: "B"
        case .bool: "BOOL"
        case .null: "NULL"
        case .stringSet: "SS"
        case .numberSet: "NS"
        case .binarySet: "BS"
        case .list: "L"
        case .map: "M"
        }
    }

    /// Reads `{"<type>": value}`; nil for anything else (no member, two members, a
    /// type DynamoDB does not have, a value of the wrong JSON kind).
    public init?(json: JSONValue) {
        guard let object = json.objectValue, object.count == 1, let (type, value) = object.first else { return nil }
        func strings(_ v: JSONValue) -> [String]? {
            guard let items = v.arrayValue else { return nil }
            let texts = items.compactMap(\.stringValue)
            return texts.count == items.count ? texts : nil
        }
        switch type {
        case "S":
            guard let s = value.stringValue else { return nil }
            self = .string(s)
        case "N":
            guard let s = value.stringValue else { return nil }
            self = .number(s)
        case "B":
            guard let s = value.stringValue else { return nil }
            self = .binary(s)
        case "BOOL":
            guard case .bool(let b) = value else { return nil }
            self = .bool(b)
        case "NULL":
            guard case .bool(true) = value else { return nil }
            self = .null
        case "SS":
            guard let s = strings(value) else { return nil }
            self = .stringSet(s)
        case "NS":
            guard let s = strings(value) else { return nil }
            self = .numberSet(s)
        case "BS":
            guard let s = strings(value) else { return nil }
            self = .binarySet(s)
        case "L":
            guard let items = value.arrayValue else { return nil }
            let values = items.compactMap(DynamoDBAttributeValue.init(json:))
            guard values.count == items.count else { return nil }
            self = .list(values)
        case "M":
            guard let members = value.objectValue, let map = Self.item(members) else { return nil }
            self = .map(map)
        default: return nil
        }
    }

    /// An item (or key): attribute name → value; nil when one value cannot be read.
    public static func item(_ members: [String: JSONValue]) -> [String: DynamoDBAttributeValue]? {
        var out: [String: DynamoDBAttributeValue] = [:]
        for (name, raw) in members {
            guard let value = DynamoDBAttributeValue(json: raw) else { return nil }
            out[name] = value
        }
        return out
    }

    /// The wire form, `{"<type>": value}`.
    public var json: JSONValue {
        let value: JSONValue
        switch self {
        case .string(let s), .number(let s), .binary(let s): value = .string(s)
        case .bool(let b): value = .bool(b)
        case .null: value = .bool(true)
        case .stringSet(let s), .numberSet(let s), .binarySet(let s): value = .array(s.map(JSONValue.string))
        case .list(let items): value = .array(items.map(\.json))
        case .map(let members): value = .object(members.mapValues(\.json))
        }
        return .object([typeName: value])
    }

    /// An item in its wire form (members sorted when serialized: a canonical text).
    public static func json(item: [String: DynamoDBAttributeValue]) -> JSONValue {
        .object(item.mapValues(\.json))
    }
}
