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

/// Which elements a parse builds: the root always; below an element, the children this
/// shape names (every one of that name, so a caller still sees a field given twice),
/// each with its own shape. The others are read and checked as strictly, then dropped
/// with their text, so a reader that wants five fields builds five elements.
struct MiniXMLShape: Sendable {
    struct Child: Sendable {
        let name: String
        let bytes: [UInt8]
        let shape: MiniXMLShape
    }

    /// nil: every child, at every depth.
    private let kept: [Child]?

    /// Every element of the document.
    static let everything = MiniXMLShape(kept: nil)
    /// The element and its text, no child.
    static let leaf = MiniXMLShape(kept: [])

    private init(kept: [Child]?) { self.kept = kept }

    /// The children of these names, each with its shape (`[:]`: the element and its text only).
    init(_ children: [String: MiniXMLShape]) {
        kept = children.map { Child(name: $0.key, bytes: Array($0.key.utf8), shape: $0.value) }
    }

    /// The name and shape of a child of this local name, or nil when it is dropped.
    func child(_ localName: ArraySlice<UInt8>) -> (name: String?, shape: MiniXMLShape)? {
        guard let kept else { return (nil, self) }
        for child in kept where child.bytes.elementsEqual(localName) { return (child.name, child.shape) }
        return nil
    }
}

/// A strict, non-validating parser for the small documents STS returns, so the
/// package needs no FoundationXML. It accepts an XML declaration, comments,
/// processing instructions, attributes (ignored), CDATA, the five predefined
/// entities and numeric character references. It refuses DOCTYPE (no entity
/// definitions, so no expansion attacks), unknown entities, unbalanced or
/// mismatched tags, text outside the root, invalid UTF-8, control characters,
/// documents over `maxBytes` and nesting deeper than `maxDepth`. It never
/// recurses, so no input can exhaust the stack. One pass over the bytes: text is
/// copied once, when a kept element closes, and only a kept element's.
enum MiniXML {
    static let maxBytes = 1 << 20
    static let maxDepth = 32

    /// The document's root with the elements `shape` keeps (all by default); the
    /// whole document is checked whatever the shape.
    static func parse(
        _ input: [UInt8],
        keeping shape: MiniXMLShape = .everything
    ) throws(MiniXMLParseError)
        -> MiniXMLElement
    {
        var parser = Parser(bytes: input)
        return try parser.document(shape)
    }

    /// An open element: where its raw name is (end tags must repeat it byte for byte),
    /// what is built of it (nil when dropped) and its character data so far.
    private struct Open {
        let nameStart: Int
        let nameEnd: Int
        var element: MiniXMLElement?
        let shape: MiniXMLShape
        var text = Text.empty
        var utf8 = UTF8Check()
    }

    /// An element's character data: most often one run of the input (no copy until
    /// the element closes), else the decoded bytes.
    private enum Text {
        case empty
        case run(Range<Int>)
        case bytes([UInt8])
    }

    /// Well-formed UTF-8 checked a byte at a time, across the pieces of an element's
    /// text (a sequence may straddle a comment or a child element, as it did when the
    /// text was validated whole).
    private struct UTF8Check {
        private var pending: UInt8 = 0
        private var low: UInt8 = 0x80
        private var high: UInt8 = 0xBF
        private(set) var failed = false

        var isComplete: Bool { !failed && pending == 0 }

        mutating func feed(_ b: UInt8) {
            if pending > 0 {
                guard b >= low, b <= high else {
                    failed = true
                    return
                }
                pending -= 1
                (low, high) = (0x80, 0xBF)
                return
            }
            switch b {
            case 0x00...0x7F: return
            case 0xC2...0xDF: (pending, low, high) = (1, 0x80, 0xBF)
            case 0xE0: (pending, low, high) = (2, 0xA0, 0xBF)
            case 0xED: (pending, low, high) = (2, 0x80, 0x9F)
            case 0xE1...0xEF: (pending, low, high) = (2, 0x80, 0xBF)
            case 0xF0: (pending, low, high) = (3, 0x90, 0xBF)
            case 0xF4: (pending, low, high) = (3, 0x80, 0x8F)
            case 0xF1...0xF3: (pending, low, high) = (3, 0x80, 0xBF)
            default: failed = true
            }
        }
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

        static func isWhitespace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

        mutating func skipWhitespace() {
            while i < bytes.count, Self.isWhitespace(bytes[i]) { i += 1 }
        }

        /// Moves past the next `terminator`; fails if the document ends first.
        mutating func skip(past terminator: String, what: String) throws(MiniXMLParseError) {
            let start = i
            let first = terminator.utf8.first
            let count = terminator.utf8.count
            while i + count <= bytes.count {
                if bytes[i] == first, starts(with: terminator) {
                    i += count
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

        /// A name at `i`: where it ends.
        mutating func name() throws(MiniXMLParseError) -> Range<Int> {
            guard i < bytes.count else { throw fail("unexpected end of document in a tag") }
            guard Self.isNameStart(bytes[i]) else { throw fail("invalid element or attribute name") }
            let start = i
            while i < bytes.count, Self.isNameChar(bytes[i]) { i += 1 }
            return start..<i
        }

        /// Local part of a (possibly prefixed) name, cut to 64 bytes as messages and
        /// element names have it; its UTF-8 checked.
        func localName(_ raw: Range<Int>, at offset: Int) throws(MiniXMLParseError) -> ArraySlice<UInt8> {
            let from = bytes[raw].lastIndex(of: UInt8(ascii: ":")).map { $0 + 1 } ?? raw.lowerBound
            guard from < raw.upperBound else { throw fail("invalid element name", at: offset) }
            let local = bytes[from..<min(raw.upperBound, from + 64)]
            guard local.allSatisfy({ $0 < 0x80 }) || String(validating: local, as: UTF8.self) != nil else {
                throw fail("invalid UTF-8", at: offset)
            }
            return local
        }

        func string(_ local: ArraySlice<UInt8>) -> String { String(decoding: local, as: UTF8.self) }

        /// `&...;` at `i`: its bytes, decoded.
        mutating func entity() throws(MiniXMLParseError) -> [UInt8] {
            let start = i
            i += 1
            let bodyStart = i
            while i < bytes.count, bytes[i] != UInt8(ascii: ";"), i - bodyStart < 12 { i += 1 }
            guard i < bytes.count, bytes[i] == UInt8(ascii: ";") else {
                throw fail("unterminated or unknown entity reference", at: start)
            }
            let body = bytes[bodyStart..<i]
            i += 1
            switch String(decoding: body, as: UTF8.self) {
            case "lt": return [UInt8(ascii: "<")]
            case "gt": return [UInt8(ascii: ">")]
            case "amp": return [UInt8(ascii: "&")]
            case "quot": return [UInt8(ascii: "\"")]
            case "apos": return [UInt8(ascii: "'")]
            case let ref where ref.hasPrefix("#"):
                let digits = ref.dropFirst()
                let value = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
                guard let value, !digits.isEmpty, !digits.hasPrefix("+"), !digits.hasPrefix("x+"),
                    Self.isXMLChar(value), let scalar = Unicode.Scalar(value)
                else { throw fail("invalid character reference", at: start) }
                return Array(String(Character(scalar)).utf8)
            default:
                throw fail("unknown entity reference", at: start)
            }
        }

        static func isXMLChar(_ v: UInt32) -> Bool {
            v == 0x9 || v == 0xA || v == 0xD || (0x20...0xD7FF).contains(v) || (0xE000...0xFFFD).contains(v)
                || (0x10000...0x10FFFF).contains(v)
        }

        mutating func document(_ shape: MiniXMLShape) throws(MiniXMLParseError) -> MiniXMLElement {
            guard bytes.count <= MiniXML.maxBytes else {
                throw fail("document larger than \(MiniXML.maxBytes) bytes", at: 0)
            }
            if starts(with: "\u{FEFF}") { i += 3 }
            try skipMisc()
            guard i < bytes.count else { throw fail(bytes.isEmpty ? "empty document" : "no root element") }
            guard bytes[i] == UInt8(ascii: "<") else { throw fail("text before the root element") }
            let root = try elementTree(shape)
            try skipMisc()
            guard i == bytes.count else { throw fail("content after the root element") }
            return root
        }

        /// Adds `piece` (`run` of the input, or decoded bytes) to the text of `open`: its
        /// UTF-8 checked (unless the caller saw it is all ASCII and nothing is pending),
        /// and kept if the element is.
        func append(_ piece: ArraySlice<UInt8>, run: Range<Int>?, ascii: Bool = false, to open: inout Open) {
            if !ascii || !open.utf8.isComplete {
                for b in piece where b >= 0x80 || !open.utf8.isComplete { open.utf8.feed(b) }
            }
            guard open.element != nil, !piece.isEmpty else { return }
            switch open.text {
            case .empty:
                if let run { open.text = .run(run) } else { open.text = .bytes(Array(piece)) }
            case .run(let earlier):
                open.text = .bytes(Array(bytes[earlier]) + piece)
            case .bytes(var decoded):
                open.text = .empty  // `decoded` the one reference: appended in place
                decoded += piece
                open.text = .bytes(decoded)
            }
        }

        func text(of open: Open) -> String {
            switch open.text {
            case .empty: return ""
            case .run(let run): return String(decoding: bytes[run], as: UTF8.self)
            case .bytes(let decoded): return String(decoding: decoded, as: UTF8.self)
            }
        }

        /// The name of `open` for messages.
        func name(of open: Open) -> String {
            open.element?.name
                ?? string((try? localName(open.nameStart..<open.nameEnd, at: open.nameStart)) ?? [])
        }

        /// The element starting at `i` (a `<`) and everything inside it.
        mutating func elementTree(_ shape: MiniXMLShape) throws(MiniXMLParseError) -> MiniXMLElement {
            var stack: [Open] = []
            stack.reserveCapacity(8)
            while true {
                guard i < bytes.count else {
                    let inside = stack.last.map { " inside <\(name(of: $0))>" } ?? ""
                    throw fail("unexpected end of document\(inside)")
                }
                let b = bytes[i]
                if b != UInt8(ascii: "<") {
                    guard !stack.isEmpty else { throw fail("text outside the root element") }
                    if b == UInt8(ascii: "&") {
                        let decoded = try entity()
                        append(decoded[...], run: nil, to: &stack[stack.count - 1])
                    } else {
                        let start = i
                        var high: UInt8 = 0
                        while i < bytes.count, bytes[i] != UInt8(ascii: "<"), bytes[i] != UInt8(ascii: "&") {
                            let c = bytes[i]
                            guard c >= 0x20 || c == 0x09 || c == 0x0A || c == 0x0D else {
                                throw fail("control character in text")
                            }
                            high |= c
                            i += 1
                        }
                        append(bytes[start..<i], run: start..<i, ascii: high < 0x80, to: &stack[stack.count - 1])
                    }
                    continue
                }
                // The byte after `<` tells which markup this is before any literal is compared.
                let next = i + 1 < bytes.count ? bytes[i + 1] : 0
                if next == UInt8(ascii: "/") {
                    let start = i
                    i += 2
                    let raw = try name()
                    skipWhitespace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ">") else {
                        throw fail("malformed end tag", at: start)
                    }
                    i += 1
                    guard let open = stack.popLast() else { throw fail("end tag without a start tag", at: start) }
                    guard bytes[raw].elementsEqual(bytes[open.nameStart..<open.nameEnd]) else {
                        throw fail(
                            "end tag </\(string(try localName(raw, at: start)))> does not close <\(name(of: open))>",
                            at: start
                        )
                    }
                    guard open.utf8.isComplete else { throw fail("invalid UTF-8", at: start) }
                    guard var element = open.element else { continue }
                    element.text = text(of: open)
                    if stack.isEmpty { return element }
                    stack[stack.count - 1].element?.children.append(element)
                } else if next == UInt8(ascii: "!"), starts(with: "<!--") {
                    try skip(past: "-->", what: "comment")
                } else if next == UInt8(ascii: "!"), starts(with: "<![CDATA[") {
                    guard !stack.isEmpty else { throw fail("CDATA outside the root element") }
                    let start = i + 9
                    try skip(past: "]]>", what: "CDATA section")
                    append(bytes[start..<i - 3], run: start..<i - 3, to: &stack[stack.count - 1])
                } else if next == UInt8(ascii: "?") {
                    try skip(past: "?>", what: "processing instruction")
                } else if next == UInt8(ascii: "!") {
                    throw fail("markup declarations are not accepted")
                } else {
                    let start = i
                    i += 1
                    let raw = try name()
                    let selfClosing = try attributes()
                    let local = try localName(raw, at: start)
                    // The root is always kept; below it, what a kept parent's shape keeps.
                    let kept: (name: String?, shape: MiniXMLShape)?
                    if let parent = stack.last {
                        kept = parent.element == nil ? nil : parent.shape.child(local)
                    } else {
                        kept = shape.child(local) ?? (nil, .leaf)
                    }
                    let element = kept.map { MiniXMLElement(name: $0.name ?? string(local)) }
                    let childShape = kept?.shape ?? .leaf
                    if selfClosing {
                        guard let element else { continue }
                        if stack.isEmpty { return element }
                        stack[stack.count - 1].element?.children.append(element)
                    } else {
                        guard stack.count < MiniXML.maxDepth else {
                            throw fail("elements nested deeper than \(MiniXML.maxDepth)", at: start)
                        }
                        stack.append(
                            Open(
                                nameStart: raw.lowerBound,
                                nameEnd: raw.upperBound,
                                element: element,
                                shape: childShape
                            )
                        )
                    }
                }
            }
        }

        /// Attributes up to and including `>` or `/>`; their values are checked
        /// for well-formedness and dropped. Returns whether the tag was `/>`.
        mutating func attributes() throws(MiniXMLParseError) -> Bool {
            while true {
                let hadSpace = i < bytes.count && Self.isWhitespace(bytes[i])
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
                while true {
                    guard i < bytes.count else { throw fail("unexpected end of document in an attribute") }
                    if bytes[i] == quote {
                        i += 1
                        break
                    }
                    if bytes[i] == UInt8(ascii: "<") { throw fail("'<' in an attribute value") }
                    if bytes[i] == UInt8(ascii: "&") { _ = try entity() } else { i += 1 }
                }
            }
        }
    }
}
