public import CredVendCore

/// The part of DynamoDB's condition-expression language the roles table's writes use,
/// evaluated against an item as DynamoDB does: `attribute_exists(p)`,
/// `attribute_not_exists(p)`, `p = :v`, `p <> :v`, `AND`, `OR`, `NOT` and parentheses,
/// with `#name` and `:value` placeholders. An expression outside it is a
/// `ValidationException`, as a malformed one is for DynamoDB.
public struct FakeDynamoDBCondition {
    public struct Invalid: Error, Equatable {
        public let reason: String
    }

    private var tokens: [String]
    private var at = 0
    private let names: [String: String]
    private let values: [String: DynamoDBAttributeValue]
    private let item: [String: DynamoDBAttributeValue]?

    /// Whether `expression` holds for `item` (nil: no item, where every attribute is absent).
    public static func holds(
        _ expression: String,
        names: [String: String],
        values: [String: DynamoDBAttributeValue],
        item: [String: DynamoDBAttributeValue]?
    ) throws(Invalid) -> Bool {
        var parser = FakeDynamoDBCondition(
            tokens: tokenize(expression),
            names: names,
            values: values,
            item: item
        )
        let result = try parser.or()
        guard parser.at == parser.tokens.count else { throw Invalid(reason: "unexpected \(parser.tokens[parser.at])") }
        return result
    }

    private static func tokenize(_ text: String) -> [String] {
        var out: [String] = []
        var word = ""
        for ch in text {
            if ch == " " || ch == "(" || ch == ")" || ch == "," {
                if !word.isEmpty { out.append(word) }
                word = ""
                if ch != " " { out.append(String(ch)) }
            } else {
                word.append(ch)
            }
        }
        if !word.isEmpty { out.append(word) }
        return out
    }

    private mutating func next() throws(Invalid) -> String {
        guard at < tokens.count else { throw Invalid(reason: "the expression ends early") }
        defer { at += 1 }
        return tokens[at]
    }

    private func peek() -> String? { at < tokens.count ? tokens[at] : nil }

    private mutating func expect(_ token: String) throws(Invalid) {
        let got = try next()
        guard got == token else { throw Invalid(reason: "expected \(token), got \(got)") }
    }

    private mutating func or() throws(Invalid) -> Bool {
        var result = try and()
        while peek()?.uppercased() == "OR" {
            at += 1
            let rhs = try and()
            result = result || rhs
        }
        return result
    }

    private mutating func and() throws(Invalid) -> Bool {
        var result = try unary()
        while peek()?.uppercased() == "AND" {
            at += 1
            let rhs = try unary()
            result = result && rhs
        }
        return result
    }

    private mutating func unary() throws(Invalid) -> Bool {
        let token = try next()
        switch token {
        case "(":
            let inner = try or()
            try expect(")")
            return inner
        case _ where token.uppercased() == "NOT":
            return !(try unary())
        case "attribute_exists", "attribute_not_exists":
            try expect("(")
            let name = try path(try next())
            try expect(")")
            let present = item?[name] != nil
            return token == "attribute_exists" ? present : !present
        default:
            let name = try path(token)
            let op = try next()
            let placeholder = try next()
            guard let value = values[placeholder] else { throw Invalid(reason: "no value for \(placeholder)") }
            let actual = item?[name]
            switch op {
            case "=": return actual.map { Self.equal($0, value) } ?? false
            case "<>": return actual.map { !Self.equal($0, value) } ?? true
            default: throw Invalid(reason: "unsupported operator \(op)")
            }
        }
    }

    private func path(_ token: String) throws(Invalid) -> String {
        guard token.hasPrefix("#") else { return token }
        guard let name = names[token] else { throw Invalid(reason: "no name for \(token)") }
        return name
    }

    /// Numbers compare by value (`"01"` = `"1"`), as DynamoDB compares N.
    private static func equal(_ a: DynamoDBAttributeValue, _ b: DynamoDBAttributeValue) -> Bool {
        if case .number(let x) = a, case .number(let y) = b, let dx = Double(x), let dy = Double(y) { return dx == dy }
        return a == b
    }
}
