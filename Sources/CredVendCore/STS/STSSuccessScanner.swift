/// The usual success answer of an STS action read in one pass, without building elements:
/// the `<{Action}Response>` document of un-prefixed elements, attributes without entity
/// references, character data of visible ASCII and white space. Anything else (comments,
/// processing instructions, CDATA, entities, prefixes, self-closing tags, a field given
/// twice or holding an element, other roots) gives nil, and `MiniXML` decides, so its
/// errors are the only ones. What is read here is what `MiniXML` would keep of it.
struct STSSuccessScanner {
    /// The ranges of the character data of the fields the answer is read for; a field
    /// present but empty has an empty range.
    struct Fields {
        enum Field { case accessKeyId, secretAccessKey, sessionToken, expiration, arn, requestId }

        var accessKeyId: Range<Int>?
        var secretAccessKey: Range<Int>?
        var sessionToken: Range<Int>?
        var expiration: Range<Int>?
        var arn: Range<Int>?
        var requestId: Range<Int>?

        subscript(field: Field) -> Range<Int>? {
            get {
                switch field {
                case .accessKeyId: accessKeyId
                case .secretAccessKey: secretAccessKey
                case .sessionToken: sessionToken
                case .expiration: expiration
                case .arn: arn
                case .requestId: requestId
                }
            }
            set {
                switch field {
                case .accessKeyId: accessKeyId = newValue
                case .secretAccessKey: secretAccessKey = newValue
                case .sessionToken: sessionToken = newValue
                case .expiration: expiration = newValue
                case .arn: arn = newValue
                case .requestId: requestId = newValue
                }
            }
        }
    }

    private enum Place {
        case root, result, credentials, user, metadata, other
        case field(Fields.Field)
    }

    private struct Open {
        let name: Range<Int>
        let place: Place
    }

    private let bytes: [UInt8]
    private let rootName: [UInt8]
    private let resultName: [UInt8]
    private var i = 0
    private var fields = Fields()
    /// How many `Result`, `Credentials`, `AssumedRoleUser` and `ResponseMetadata` were seen.
    private var counts = (result: 0, credentials: 0, user: 0, metadata: 0)

    static func scan(_ bytes: [UInt8], action: STSAction) -> Fields? {
        guard bytes.count <= MiniXML.maxBytes else { return nil }
        var scanner = STSSuccessScanner(bytes: bytes, action: action)
        guard scanner.document() else { return nil }
        let c = scanner.counts
        guard c.result == 1, c.credentials == 1, c.user == 1, c.metadata <= 1 else { return nil }
        return scanner.fields
    }

    private init(bytes: [UInt8], action: STSAction) {
        self.bytes = bytes
        rootName = Array("\(action.rawValue)Response".utf8)
        resultName = Array("\(action.rawValue)Result".utf8)
    }

    private static func isWhitespace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    private static func isNameStart(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    private static func isNameChar(_ b: UInt8) -> Bool {
        isNameStart(b) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2E
    }

    private func at(_ c: UInt8) -> Bool { i < bytes.count && bytes[i] == c }

    private mutating func skipWhitespace() {
        while i < bytes.count, Self.isWhitespace(bytes[i]) { i += 1 }
    }

    /// A name at `i` of `isNameChar`s (and `:` when `prefixed`), nil when there is none.
    private mutating func name(prefixed: Bool = false) -> Range<Int>? {
        guard i < bytes.count, Self.isNameStart(bytes[i]) else { return nil }
        let start = i
        while i < bytes.count, Self.isNameChar(bytes[i]) || (prefixed && bytes[i] == UInt8(ascii: ":")) { i += 1 }
        return start..<i
    }

    private func named(_ r: Range<Int>, _ name: [UInt8]) -> Bool { ByteScan.equals(bytes, r, name) }

    /// The names it reads, as bytes (compared with the document's).
    private enum Name {
        static let responseMetadata = Array("ResponseMetadata".utf8)
        static let credentials = Array("Credentials".utf8)
        static let assumedRoleUser = Array("AssumedRoleUser".utf8)
        static let accessKeyId = Array("AccessKeyId".utf8)
        static let secretAccessKey = Array("SecretAccessKey".utf8)
        static let sessionToken = Array("SessionToken".utf8)
        static let expiration = Array("Expiration".utf8)
        static let arn = Array("Arn".utf8)
        static let requestId = Array("RequestId".utf8)
    }

    private mutating func document() -> Bool {
        skipWhitespace()
        var stack: [Open] = []
        stack.reserveCapacity(8)
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "<") else {
                guard let top = stack.last, text(in: top.place) else { return false }
                continue
            }
            i += 1
            if at(UInt8(ascii: "/")) {
                i += 1
                guard let end = name(), at(UInt8(ascii: ">")), let open = stack.popLast(),
                    ByteScan.equals(bytes, end, open.name)
                else { return false }
                i += 1
                if stack.isEmpty {
                    skipWhitespace()
                    return i == bytes.count
                }
            } else {
                guard let start = name(), attributes(), stack.count < MiniXML.maxDepth,
                    let place = place(of: start, in: stack.last?.place)
                else { return false }
                stack.append(Open(name: start, place: place))
            }
        }
        return false
    }

    /// Character data at `i` up to the next tag; kept when `place` is a field.
    private mutating func text(in place: Place) -> Bool {
        let start = i
        while true {
            i = ByteScan.plainTextEnd(bytes, from: i)
            guard i < bytes.count, Self.isWhitespace(bytes[i]) else { break }
            i += 1
        }
        guard at(UInt8(ascii: "<")) else { return false }
        if case .field(let field) = place {
            // One run per field: an element or markup inside one is left to MiniXML.
            guard fields[field]?.isEmpty ?? true else { return false }
            fields[field] = start..<i
        }
        return true
    }

    /// Attributes up to and including `>`; `/>` and entity references are left to MiniXML.
    private mutating func attributes() -> Bool {
        while true {
            let hadSpace = i < bytes.count && Self.isWhitespace(bytes[i])
            skipWhitespace()
            if at(UInt8(ascii: ">")) {
                i += 1
                return true
            }
            guard hadSpace, name(prefixed: true) != nil else { return false }
            skipWhitespace()
            guard at(UInt8(ascii: "=")) else { return false }
            i += 1
            skipWhitespace()
            guard at(UInt8(ascii: "\"")) || at(UInt8(ascii: "'")) else { return false }
            let quote = bytes[i]
            i += 1
            while i < bytes.count, bytes[i] != quote {
                let c = bytes[i]
                guard c >= 0x20, c <= 0x7E, c != UInt8(ascii: "<"), c != UInt8(ascii: "&") else { return false }
                i += 1
            }
            guard i < bytes.count else { return false }
            i += 1
        }
    }

    /// Where an element of this name opened inside `parent` (nil: the root) is, nil when the
    /// scan must give up (another root, a field inside a field or given twice).
    private mutating func place(of name: Range<Int>, in parent: Place?) -> Place? {
        func field(_ f: Fields.Field) -> Place? {
            guard fields[f] == nil else { return nil }
            fields[f] = i..<i  // present, no text yet
            return .field(f)
        }
        switch parent {
        case nil: return named(name, rootName) ? .root : nil
        case .root?:
            if named(name, resultName) {
                counts.result += 1
                return .result
            }
            if named(name, Name.responseMetadata) {
                counts.metadata += 1
                return .metadata
            }
        case .result?:
            if named(name, Name.credentials) {
                counts.credentials += 1
                return .credentials
            }
            if named(name, Name.assumedRoleUser) {
                counts.user += 1
                return .user
            }
        case .credentials?:
            if named(name, Name.accessKeyId) { return field(.accessKeyId) }
            if named(name, Name.secretAccessKey) { return field(.secretAccessKey) }
            if named(name, Name.sessionToken) { return field(.sessionToken) }
            if named(name, Name.expiration) { return field(.expiration) }
        case .user?:
            if named(name, Name.arn) { return field(.arn) }
        case .metadata?:
            if named(name, Name.requestId) { return field(.requestId) }
        case .field?: return nil
        case .other?: break
        }
        return .other
    }
}
