/// A member value as `JSONObjectScanner` reads it: a string as the range of its bytes
/// (between the quotes, nothing to unescape), an integer of at most 15 digits (exact
/// as a Double, so `JSONParser` would read the same number).
enum ScannedJSONValue: Equatable {
    case string(Range<Int>)
    case integer(Int)
    case bool(Bool)
    case null
}

/// One pass over the bytes of a flat JSON object, the shape of JOSE headers, most claim
/// sets and role records. It accepts only a subset of what `JSONParser` accepts and reads
/// it the same way: member names and strings of printable ASCII without escapes,
/// non-negative integers without fraction or exponent, `true`, `false`, `null`. Anything
/// else (an escape, non-ASCII, nesting, a fraction, an error) makes it answer false, and
/// the caller parses with `JSONParser`, so accepted text and every error stay the parser's.
struct JSONObjectScanner {
    private let bytes: [UInt8]
    private var i = 0

    /// Calls `member` with each member's name range and value, in order, until it returns
    /// false. True when the whole text is a flat object of such members and `member` took
    /// them all.
    static func scan(_ bytes: [UInt8], member: (Range<Int>, ScannedJSONValue) -> Bool) -> Bool {
        var scanner = JSONObjectScanner(bytes: bytes)
        return scanner.object(member)
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func object(_ member: (Range<Int>, ScannedJSONValue) -> Bool) -> Bool {
        skipWhitespace()
        guard at(UInt8(ascii: "{")) else { return false }
        i += 1
        skipWhitespace()
        if at(UInt8(ascii: "}")) {
            i += 1
        } else {
            while true {
                skipWhitespace()
                guard let name = plainString() else { return false }
                skipWhitespace()
                guard at(UInt8(ascii: ":")) else { return false }
                i += 1
                skipWhitespace()
                guard let v = value(), member(name, v) else { return false }
                skipWhitespace()
                if at(UInt8(ascii: "}")) {
                    i += 1
                    break
                }
                guard at(UInt8(ascii: ",")) else { return false }
                i += 1
            }
        }
        skipWhitespace()
        return i == bytes.count
    }

    private func at(_ c: UInt8) -> Bool { i < bytes.count && bytes[i] == c }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    /// A plain string at `i` (its opening quote): the range between the quotes.
    private mutating func plainString() -> Range<Int>? {
        guard at(UInt8(ascii: "\"")), let end = ByteScan.plainStringEnd(bytes, from: i + 1) else { return nil }
        defer { i = end + 1 }
        return (i + 1)..<end
    }

    private mutating func literal(_ text: String) -> Bool {
        let count = text.utf8.count
        guard i + count <= bytes.count, bytes[i..<(i + count)].elementsEqual(text.utf8) else { return false }
        i += count
        return true
    }

    private mutating func value() -> ScannedJSONValue? {
        guard i < bytes.count else { return nil }
        switch bytes[i] {
        case UInt8(ascii: "\""): return plainString().map { .string($0) }
        case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return literal("null") ? .null : nil
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = i
            var integer = 0
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
                integer = integer &* 10 &+ Int(bytes[i] &- UInt8(ascii: "0"))
                i += 1
            }
            let digits = i - start
            guard digits <= 15, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            if at(UInt8(ascii: ".")) || at(UInt8(ascii: "e")) || at(UInt8(ascii: "E")) { return nil }
            return .integer(integer)
        default: return nil
        }
    }
}

extension JSONParser {
    /// The members of a JSON object text, as `parse` would give them; nil when the text is
    /// not a JSON object. Flat objects (JOSE headers, most claim sets) are read in one
    /// pass by `JSONObjectScanner`, the rest by `parse`.
    static func objectMembers(_ bytes: [UInt8]) -> [String: JSONValue]? {
        var members: [String: JSONValue] = [:]
        members.reserveCapacity(12)
        let flat = JSONObjectScanner.scan(bytes) { name, value in
            let json: JSONValue
            switch value {
            case .string(let r): json = .string(String(decoding: bytes[r], as: UTF8.self))
            case .integer(let v): json = .number(Double(v))
            case .bool(let b): json = .bool(b)
            case .null: json = .null
            }
            // A name given twice: the parser refuses it.
            return members.updateValue(json, forKey: String(decoding: bytes[name], as: UTF8.self)) == nil
        }
        if flat { return members }
        return (try? parse(bytes))?.objectValue
    }
}
