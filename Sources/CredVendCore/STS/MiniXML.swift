/// One element of a small XML document: its local name (any namespace prefix
/// dropped), its child elements and its character data, entities decoded.
struct MiniXMLElement: Sendable {
    var name: String
    var children: [MiniXMLElement] = []
    var text: String = ""

    func children(named name: String) -> [MiniXMLElement] { children.filter { $0.name == name } }
}

/// Why a document was refused. `reason` names elements and byte offsets only,
/// never character data, so it cannot carry a secret from the document.
struct MiniXMLParseError: Error, Equatable, CustomStringConvertible {
    let offset: Int
    let reason: String
    var description: String { "\(reason) (at byte \(offset))" }
}

/// A strict, non-validating parser for the small documents STS returns, so the
/// package needs no FoundationXML. It accepts an XML declaration, comments,
/// processing instructions, attributes (ignored), CDATA, the five predefined
/// entities and numeric character references. It refuses DOCTYPE (no entity
/// definitions, so no expansion attacks), unknown entities, unbalanced or
/// mismatched tags, text outside the root, invalid UTF-8, control characters,
/// documents over `maxBytes` and nesting deeper than `maxDepth`. It never
/// recurses, so no input can exhaust the stack.
enum MiniXML {
    static let maxBytes = 1 << 20
    static let maxDepth = 32

    static func parse(_ input: [UInt8]) throws(MiniXMLParseError) -> MiniXMLElement {
        var parser = Parser(bytes: input)
        return try parser.document()
    }

    private struct Open {
        let rawName: [UInt8]
        var element: MiniXMLElement
        var text: [UInt8] = []
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func fail(_ reason: String, at offset: Int? = nil) -> MiniXMLParseError {
            MiniXMLParseError(offset: offset ?? i, reason: reason)
        }

        func starts(with literal: String) -> Bool {
            var j = i
            for b in literal.utf8 {
                guard j < bytes.count, bytes[j] == b else { return false }
                j += 1
            }
            return true
        }

        mutating func skipWhitespace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        /// Moves past the next `terminator`; fails if the document ends first.
        mutating func skip(past terminator: String, what: String) throws(MiniXMLParseError) {
            let start = i
            let t = Array(terminator.utf8)
            while i + t.count <= bytes.count {
                if bytes[i..<i + t.count].elementsEqual(t) {
                    i += t.count
                    return
                }
                i += 1
            }
            throw fail("unterminated \(what)", at: start)
        }

        /// Comments, processing instructions and whitespace between markup.
        mutating func skipMisc() throws(MiniXMLParseError) {
            while true {
                skipWhitespace()
                if starts(with: "<?") {
                    try skip(past: "?>", what: "processing instruction")
                } else if starts(with: "<!--") {
                    try skip(past: "-->", what: "comment")
                } else if starts(with: "<!") {
                    throw fail("DOCTYPE and markup declarations are not accepted")
                } else {
                    return
                }
            }
        }

        static func isNameStart(_ b: UInt8) -> Bool {
            (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x3A || b >= 0x80
        }

        static func isNameChar(_ b: UInt8) -> Bool {
            isNameStart(b) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2E
        }

        mutating func name() throws(MiniXMLParseError) -> [UInt8] {
            guard i < bytes.count else { throw fail("unexpected end of document in a tag") }
            guard Self.isNameStart(bytes[i]) else { throw fail("invalid element or attribute name") }
            let start = i
            while i < bytes.count, Self.isNameChar(bytes[i]) { i += 1 }
            return Array(bytes[start..<i])
        }

        func string(_ raw: [UInt8], at offset: Int) throws(MiniXMLParseError) -> String {
            guard let text = String(validating: raw, as: UTF8.self) else { throw fail("invalid UTF-8", at: offset) }
            return text
        }

        /// Local part of a (possibly prefixed) name, for messages cut to 64 bytes.
        func localName(_ raw: [UInt8], at offset: Int) throws(MiniXMLParseError) -> String {
            let local = raw.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false).last ?? []
            guard !local.isEmpty else { throw fail("invalid element name", at: offset) }
            return try string(Array(local.prefix(64)), at: offset)
        }

        /// `&...;` at `i`, appended to `out` decoded.
        mutating func entity(into out: inout [UInt8]) throws(MiniXMLParseError) {
            let start = i
            i += 1
            var body: [UInt8] = []
            while i < bytes.count, bytes[i] != UInt8(ascii: ";"), body.count < 12 {
                body.append(bytes[i])
                i += 1
            }
            guard i < bytes.count, bytes[i] == UInt8(ascii: ";") else {
                throw fail("unterminated or unknown entity reference", at: start)
            }
            i += 1
            switch String(decoding: body, as: UTF8.self) {
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "amp": out.append(UInt8(ascii: "&"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            case let ref where ref.hasPrefix("#"):
                let digits = ref.dropFirst()
                let value = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
                guard let value, !digits.isEmpty, !digits.hasPrefix("+"), !digits.hasPrefix("x+"),
                    Self.isXMLChar(value), let scalar = Unicode.Scalar(value)
                else { throw fail("invalid character reference", at: start) }
                out.append(contentsOf: String(Character(scalar)).utf8)
            default:
                throw fail("unknown entity reference", at: start)
            }
        }

        static func isXMLChar(_ v: UInt32) -> Bool {
            v == 0x9 || v == 0xA || v == 0xD || (0x20...0xD7FF).contains(v) || (0xE000...0xFFFD).contains(v)
                || (0x10000...0x10FFFF).contains(v)
        }

        mutating func document() throws(MiniXMLParseError) -> MiniXMLElement {
            guard bytes.count <= MiniXML.maxBytes else {
                throw fail("document larger than \(MiniXML.maxBytes) bytes", at: 0)
            }
            if starts(with: "\u{FEFF}") { i += 3 }
            try skipMisc()
            guard i < bytes.count else { throw fail(bytes.isEmpty ? "empty document" : "no root element") }
            guard bytes[i] == UInt8(ascii: "<") else { throw fail("text before the root element") }
            let root = try elementTree()
            try skipMisc()
            guard i == bytes.count else { throw fail("content after the root element") }
            return root
        }

        /// The element starting at `i` (a `<`) and everything inside it.
        mutating func elementTree() throws(MiniXMLParseError) -> MiniXMLElement {
            var stack: [Open] = []
            while true {
                guard i < bytes.count else {
                    let inside = stack.last.map { " inside <\($0.element.name)>" } ?? ""
                    throw fail("unexpected end of document\(inside)")
                }
                let b = bytes[i]
                if b != UInt8(ascii: "<") {
                    guard !stack.isEmpty else { throw fail("text outside the root element") }
                    if b == UInt8(ascii: "&") {
                        try entity(into: &stack[stack.count - 1].text)
                    } else {
                        guard b >= 0x20 || b == 0x09 || b == 0x0A || b == 0x0D else {
                            throw fail("control character in text")
                        }
                        stack[stack.count - 1].text.append(b)
                        i += 1
                    }
                    continue
                }
                if starts(with: "</") {
                    let start = i
                    i += 2
                    let raw = try name()
                    skipWhitespace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ">") else {
                        throw fail("malformed end tag", at: start)
                    }
                    i += 1
                    guard var open = stack.popLast() else { throw fail("end tag without a start tag", at: start) }
                    guard raw == open.rawName else {
                        throw fail(
                            "end tag </\(try localName(raw, at: start))> does not close <\(open.element.name)>",
                            at: start
                        )
                    }
                    open.element.text = try string(open.text, at: start)
                    if stack.isEmpty { return open.element }
                    stack[stack.count - 1].element.children.append(open.element)
                } else if starts(with: "<!--") {
                    try skip(past: "-->", what: "comment")
                } else if starts(with: "<![CDATA[") {
                    guard !stack.isEmpty else { throw fail("CDATA outside the root element") }
                    let start = i + 9
                    try skip(past: "]]>", what: "CDATA section")
                    stack[stack.count - 1].text.append(contentsOf: bytes[start..<i - 3])
                } else if starts(with: "<?") {
                    try skip(past: "?>", what: "processing instruction")
                } else if starts(with: "<!") {
                    throw fail("markup declarations are not accepted")
                } else {
                    let start = i
                    i += 1
                    let raw = try name()
                    let selfClosing = try attributes()
                    let element = MiniXMLElement(name: try localName(raw, at: start))
                    if selfClosing {
                        if stack.isEmpty { return element }
                        stack[stack.count - 1].element.children.append(element)
                    } else {
                        guard stack.count < MiniXML.maxDepth else {
                            throw fail("elements nested deeper than \(MiniXML.maxDepth)", at: start)
                        }
                        stack.append(Open(rawName: raw, element: element))
                    }
                }
            }
        }

        /// Attributes up to and including `>` or `/>`; their values are checked
        /// for well-formedness and dropped. Returns whether the tag was `/>`.
        mutating func attributes() throws(MiniXMLParseError) -> Bool {
            while true {
                let hadSpace = i < bytes.count && [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i])
                skipWhitespace()
                guard i < bytes.count else { throw fail("unexpected end of document in a tag") }
                if bytes[i] == UInt8(ascii: ">") {
                    i += 1
                    return false
                }
                if starts(with: "/>") {
                    i += 2
                    return true
                }
                guard hadSpace else { throw fail("malformed tag") }
                _ = try name()
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { throw fail("attribute without a value") }
                i += 1
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") else {
                    throw fail("attribute value not quoted")
                }
                let quote = bytes[i]
                i += 1
                var ignored: [UInt8] = []
                while true {
                    guard i < bytes.count else { throw fail("unexpected end of document in an attribute") }
                    if bytes[i] == quote {
                        i += 1
                        break
                    }
                    if bytes[i] == UInt8(ascii: "<") { throw fail("'<' in an attribute value") }
                    if bytes[i] == UInt8(ascii: "&") { try entity(into: &ignored) } else { i += 1 }
                }
            }
        }
    }
}
