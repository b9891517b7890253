import Foundation
import Testing

@testable import CredVendCore

/// A parse that keeps only some elements builds exactly those of the full parse, and
/// refuses exactly what the full parse refuses.
@Suite struct MiniXMLShapeTests {
    /// Which children to keep, by name, each with what to keep below it.
    struct Keep {
        var children: [String: Keep] = [:]
    }

    static let stsKeep = Keep(children: [
        "AssumeRoleResponse": Keep(children: [
            "AssumeRoleResult": Keep(children: [
                "Credentials": Keep(children: ["AccessKeyId": Keep(), "SessionToken": Keep(), "Expiration": Keep()]),
                "AssumedRoleUser": Keep(children: ["Arn": Keep()]),
            ]),
            "ResponseMetadata": Keep(children: ["RequestId": Keep()]),
        ]),
        "a": Keep(children: ["b": Keep(), "A": Keep()]),
    ])

    static func shape(_ keep: Keep) -> MiniXMLShape { MiniXMLShape(keep.children.mapValues(shape)) }

    /// The full tree with what `keep` does not name removed (the root always stays).
    static func pruned(_ element: MiniXMLElement, _ keep: Keep?) -> MiniXMLElement {
        var out = element
        out.children = element.children.compactMap { child in
            keep?.children[child.name].map { pruned(child, $0) }
        }
        return out
    }

    static func render(_ e: MiniXMLElement) -> String {
        "<\(e.name)>\(Array(e.text.utf8))[\(e.children.map(render).joined())]"
    }

    /// Both parses: the same tree (once pruned) or the same error.
    static func expectSame(_ bytes: [UInt8], _ note: String) {
        let full = Result { () throws(MiniXMLParseError) in try MiniXML.parse(bytes) }
        let kept = Result { () throws(MiniXMLParseError) in try MiniXML.parse(bytes, keeping: shape(stsKeep)) }
        switch (full, kept) {
        case (.success(let f), .success(let k)):
            #expect(render(pruned(f, stsKeep.children[f.name] ?? Keep())) == render(k), "\(note)")
        case (.failure(let f), .failure(let k)):
            #expect(f == k, "\(note)")
        default:
            Issue.record("one parse failed, the other did not: \(note) \(full) \(kept)")
        }
    }

    @Test func fixturesAndEveryTruncation() throws {
        for name in ["moto-assume-role.xml", "aws-docs-assume-role.xml", "aws-error-throttling.xml"] {
            let full = try STSFixtures.bytes(name)
            for length in 0...full.count { Self.expectSame(Array(full.prefix(length)), "\(name) cut at \(length)") }
        }
    }

    /// Markup pieces shuffled into small documents: nested and repeated elements of kept
    /// and dropped names, entities, CDATA, comments, bytes that are not UTF-8.
    @Test func generatedDocuments() {
        var generator = SplitMix64(seed: 0xC0DEC)
        let pieces =
            [
                "<a>", "</a>", "<b>", "</b>", "<A>", "</A>", "<x>", "</x>", "<b/>", "<x/>", "<p:b>", "</p:b>", "text",
                " ",
                "&amp;", "&#xE9;", "&bad;", "<![CDATA[c<]]>", "<!--c-->", "<?p?>", "\u{1}", "é", "<b k='v'>",
            ].map { Array($0.utf8) } + [[0xC3], [0xA9], [0xFF]]
        for round in 0..<4_000 {
            var bytes = Array("<a>".utf8)
            for _ in 0..<Int.random(in: 0..<14, using: &generator) {
                bytes += pieces.randomElement(using: &generator)!
            }
            if Bool.random(using: &generator) { bytes += Array("</a>".utf8) }
            Self.expectSame(bytes, "round \(round): \(bytes)")
        }
    }

    @Test func textIsCheckedInDroppedElementsToo() {
        let leaf = MiniXMLShape([:])
        let refusals: [([UInt8], MiniXMLParseError)] = [
            (Array("<r><x>".utf8) + [0xC3, 0x28] + Array("</x></r>".utf8), .init(offset: 8, reason: "invalid UTF-8")),
            (Array("<r><x>&foo;</x></r>".utf8), .init(offset: 6, reason: "unknown entity reference")),
            (Array("<r><x>\u{1}</x></r>".utf8), .init(offset: 6, reason: "control character in text")),
            (Array("<r><x></y></r>".utf8), .init(offset: 6, reason: "end tag </y> does not close <x>")),
            (Array("<r><x>".utf8), .init(offset: 6, reason: "unexpected end of document inside <x>")),
        ]
        for (bytes, error) in refusals {
            #expect(throws: error) { try MiniXML.parse(bytes, keeping: leaf) }
            #expect(throws: error) { try MiniXML.parse(bytes) }
        }
    }

    /// A character's bytes on either side of a comment or a child element are one
    /// character of the element's text, as when the text was checked whole.
    @Test func utf8AcrossCommentsAndChildren() throws {
        let split = Array("<a>".utf8) + [0xC3] + Array("<!--c--><b/>".utf8) + [0xA9] + Array("</a>".utf8)
        #expect(try MiniXML.parse(split).text == "é")
        #expect(try MiniXML.parse(split, keeping: MiniXMLShape([:])).text == "é")
        #expect(try MiniXML.parse(split, keeping: MiniXMLShape([:])).children.isEmpty)
    }
}
