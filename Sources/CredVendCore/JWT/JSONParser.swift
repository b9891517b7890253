/// Why a JSON text was refused. The reason names a position, never the content;
/// `duplicateName` and `path` are there for a caller that names its own fields
/// (a role record's "field given twice").
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public let offset: Int
    /// The member name given twice in one object, when that is the reason.
    public var duplicateName: String? = nil
    /// Where the refused text is: the array indices and member names leading to it, outermost first.
    public var path: [JSONPathComponent] = []
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// One step into a JSON document: an array element or an object member.
public enum JSONPathComponent: Sendable, Equatable {
    case index(Int)
    case member(String)
}

/// A strict RFC 8259 parser for small documents (JOSE headers, claims, JWK sets):
/// one value, no trailing content, no comments, no NaN, no trailing commas, valid
/// UTF-8 only, lone surrogate escapes refused, duplicate object names refused (a claim
/// that appears twice is ambiguous, RFC 7519 section 4), nesting at most `maxDepth` deep.
public struct JSONParser {
    private let bytes: [UInt8]
    private var index = 0
    private let maxDepth: Int

    public static func parse(_ bytes: [UInt8], maxDepth: Int = 32) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.error("unexpected content after the value") }
        return value
    }

    private init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    private func error(_ reason: String) -> JSONParseError { JSONParseError(reason: reason, offset: index) }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let c = current, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { index += 1 }
    }

    private mutating func expect(_ literal: String) throws(JSONParseError) {
        let count = literal.utf8.count
        guard index + count <= bytes.count else { throw error("unexpected end of input") }
        guard bytes[index..<(index + count)].elementsEqual(literal.utf8) else { throw error("unexpected character") }
        index += count
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard let c = current else { throw error("unexpected end of input") }
        switch c {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character")
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw error("nested too deeply") }
        index += 1  // {
        var members: [String: JSONValue] = [:]
        members.reserveCapacity(12)  // JOSE headers and claim sets: no growth on the request path
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let nameOffset = index
            let name = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipWhitespace()
            let value: JSONValue
            do {
                value = try parseValue(depth: depth)
            } catch {
                var inner = error
                inner.path.insert(.member(name), at: 0)
                throw inner
            }
            guard members.updateValue(value, forKey: name) == nil else {
                throw JSONParseError(reason: "duplicate member name", offset: nameOffset, duplicateName: name)
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return .object(members)
            default: throw error("expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw error("nested too deeply") }
        index += 1  // [
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            do {
                items.append(try parseValue(depth: depth))
            } catch {
                var inner = error
                inner.path.insert(.index(items.count), at: 0)
                throw inner
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return .array(items)
            default: throw error("expected ',' or ']'")
            }
        }
    }

    private mutating func parseNumber() throws(JSONParseError) -> Double {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        func digits(_ p: inout JSONParser) -> Int {
            let from = p.index
            while let c = p.current, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { p.index += 1 }
            return p.index - from
        }
        if current == UInt8(ascii: "0") {
            index += 1
        } else {
            guard digits(&self) > 0 else { throw error("invalid number") }
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw error("invalid number") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw error("invalid number") }
        }
        // Integers of up to 15 digits (NumericDate claims) are exact as Double: no String.
        let digitsStart = bytes[start] == UInt8(ascii: "-") ? start + 1 : start
        if index - digitsStart <= 15 {
            var integer = 0
            var plain = true
            for i in digitsStart..<index {
                let d = bytes[i] &- UInt8(ascii: "0")
                if d > 9 {
                    plain = false
                    break
                }
                integer = integer * 10 + Int(d)
            }
            if plain { return digitsStart == start ? Double(integer) : -Double(integer) }
        }
        guard let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)) else {
            throw JSONParseError(reason: "invalid number", offset: start)
        }
        // 1e400 would read as infinity, which JSON cannot write back (it serialises as null).
        guard value.isFinite else { throw JSONParseError(reason: "number out of range", offset: start) }
        return value
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // opening quote
        let start = index
        var decoded: [UInt8]? = nil  // only built once an escape is seen
        var ascii = true
        while true {
            guard let c = current else { throw error("unterminated string") }
            switch c {
            case UInt8(ascii: "\""):
                defer { index += 1 }
                if decoded == nil && ascii {
                    // ASCII without escapes: the bytes are the string (the common case, no copy).
                    return String(decoding: bytes[start..<index], as: UTF8.self)
                }
                let raw = decoded.map { ArraySlice($0) } ?? bytes[start..<index]
                // Valid UTF-8 exactly when decoding (which repairs) gives the same bytes back.
                let s = String(decoding: raw, as: UTF8.self)
                guard s.utf8.elementsEqual(raw) else {
                    throw JSONParseError(reason: "string is not valid UTF-8", offset: start)
                }
                return s
            case UInt8(ascii: "\\"):
                if decoded == nil { decoded = Array(bytes[start..<index]) }
                index += 1
                try parseEscape(into: &decoded!)
            case 0x00..<0x20:
                throw error("control character in string")
            default:
                if c >= 0x80 { ascii = false }
                decoded?.append(c)
                index += 1
            }
        }
    }

    private mutating func parseEscape(into out: inout [UInt8]) throws(JSONParseError) {
        guard let c = current else { throw error("unterminated string") }
        index += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard current == UInt8(ascii: "\\") else { throw error("unpaired surrogate escape") }
                index += 1
                guard current == UInt8(ascii: "u") else { throw error("unpaired surrogate escape") }
                index += 1
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw error("unpaired surrogate escape")
            }
            out += Array(String(Character(Unicode.Scalar(scalar)!)).utf8)
        default:
            throw error("invalid escape")
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("unterminated string") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
