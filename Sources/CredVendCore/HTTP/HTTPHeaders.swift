/// An ordered list of HTTP header fields with case-insensitive lookup by name.
///
/// Order and duplicates are kept as received or added; `subscript(name)` answers the
/// first value for a name, `values(for:)` all of them.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (name: String, value: String)

    public private(set) var fields: [Element] = []

    public init() {}

    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// The first value for `name`, compared case-insensitively (ASCII).
    public subscript(name: String) -> String? {
        fields.first { Self.sameName($0.name, name) }?.value
    }

    /// Every value for `name`, in order.
    public func values(for name: String) -> [String] {
        fields.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// Appends a field; an existing field of the same name is kept.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name: name, value: value))
    }

    /// Fields a request or an STS answer usually has, with room to spare.
    public static let typicalCount = 8

    /// An empty list with room for `typicalCount` fields, for a message's headers collected
    /// one by one: one allocation, not an array grown one doubling at a time.
    public static func collecting() -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.fields.reserveCapacity(typicalCount)
        return headers
    }

    /// Replaces every field named `name` with one field.
    public mutating func set(_ name: String, _ value: String) {
        if contains(name) { remove(name) }  // a removeAll that finds nothing still copies a shared array
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { Self.sameName($0.name, name) }
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    public func makeIterator() -> IndexingIterator<[Element]> { fields.makeIterator() }

    /// ASCII case-insensitive equality, without allocating (lookups run on every request).
    package static func sameName(_ a: String, _ b: String) -> Bool {
        let x = a.utf8
        let y = b.utf8
        guard x.count == y.count else { return false }
        // Index by index, not zip's iterator pair: this runs for every header of every request.
        var i = x.startIndex
        var j = y.startIndex
        while i != x.endIndex {
            let p = x[i]
            let q = y[j]
            if p != q && asciiLower(p) != asciiLower(q) { return false }
            x.formIndex(after: &i)
            y.formIndex(after: &j)
        }
        return true
    }

    private static func asciiLower(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }
}
