import Foundation
import Testing

@testable import CredVendCore

@Suite struct MiniXMLTests {
    func parse(_ text: String) throws(MiniXMLParseError) -> MiniXMLElement { try MiniXML.parse(Array(text.utf8)) }

    @Test func elementsTextAndStructure() throws {
        let root = try parse(
            """
            <?xml version="1.0" encoding="utf-8"?>
            <!-- a comment -->
            <sts:Root xmlns:sts="urn:x" a='1' b="2"><A>one</A><B/><A>two<!-- c --> halves</A><?pi x?></sts:Root>
            """
        )
        #expect(root.name == "Root")
        #expect(root.children.map(\.name) == ["A", "B", "A"])
        #expect(root.children(named: "A").map(\.text) == ["one", "two halves"])
        #expect(root.children(named: "B").first?.text == "")
    }

    @Test(arguments: [
        ("&lt;&gt;&amp;&quot;&apos;", "<>&\"'"),
        ("a&#65;&#x42;&#x00e9;&#233;", "aABéé"),
        ("&#x1F600;", "\u{1F600}"),
        ("&#9;&#10;&#13;", "\t\n\r"),
        ("<![CDATA[<raw> & &amp;]]>", "<raw> & &amp;"),
        ("x > y", "x > y"),
        ("héllo ሴ", "héllo ሴ"),
    ])
    func characterData(xml: String, expected: String) throws {
        #expect(try parse("<a>\(xml)</a>").text == expected)
    }

    @Test(arguments: [
        ("", "empty document"),
        ("   \n", "no root element"),
        ("not xml", "text before the root element"),
        ("{\"json\": true}", "text before the root element"),
        ("<a>", "unexpected end of document inside <a>"),
        ("<a><b>text", "unexpected end of document inside <b>"),
        ("<a", "unexpected end of document in a tag"),
        ("<a></b>", "end tag </b> does not close <a>"),
        ("<a><b></a></b>", "end tag </a> does not close <b>"),
        ("<a>&foo;</a>", "unknown entity reference"),
        ("<a>&amp</a>", "unterminated or unknown entity reference"),
        ("<a>AT&T</a>", "unterminated or unknown entity reference"),
        ("<a>&#0;</a>", "invalid character reference"),
        ("<a>&#xD800;</a>", "invalid character reference"),
        ("<a>&#x110000;</a>", "invalid character reference"),
        ("<a>&#;</a>", "invalid character reference"),
        ("<a>&#x;</a>", "invalid character reference"),
        ("<a>&#-1;</a>", "invalid character reference"),
        ("<a>&#X41;</a>", "invalid character reference"),
        ("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", "DOCTYPE and markup declarations are not accepted"),
        ("<a><!ENTITY x \"y\"></a>", "markup declarations are not accepted"),
        ("<a/>tail", "content after the root element"),
        ("<a/><b/>", "content after the root element"),
        ("<a>\u{1}</a>", "control character in text"),
        ("<a b=c/>", "attribute value not quoted"),
        ("<a b/>", "attribute without a value"),
        ("<a b=\"<\"/>", "'<' in an attribute value"),
        ("<a b=\"x\"c=\"y\"/>", "malformed tag"),
        ("<1a/>", "invalid element or attribute name"),
        ("<a><![CDATA[x</a>", "unterminated CDATA section"),
        ("<a><!-- x</a>", "unterminated comment"),
        ("</a>", "end tag without a start tag"),
    ])
    func refusesMalformedDocuments(xml: String, reason: String) {
        #expect(throws: MiniXMLParseError.self) { try parse(xml) }
        do {
            _ = try parse(xml)
        } catch {
            #expect(error.reason == reason)
        }
    }

    @Test func refusesInvalidUTF8() {
        var bytes = Array("<a>".utf8)
        bytes += [0xC3, 0x28]
        bytes += Array("</a>".utf8)
        #expect(throws: MiniXMLParseError(offset: 5, reason: "invalid UTF-8")) { try MiniXML.parse(bytes) }
    }

    @Test func limitsDepthAndSize() throws {
        let deep = String(repeating: "<a>", count: 10_000) + String(repeating: "</a>", count: 10_000)
        #expect(throws: MiniXMLParseError.self) { try parse(deep) }
        let fine =
            String(repeating: "<a>", count: MiniXML.maxDepth) + String(repeating: "</a>", count: MiniXML.maxDepth)
        _ = try parse(fine)
        let huge = "<a>" + String(repeating: "x", count: MiniXML.maxBytes) + "</a>"
        #expect(throws: MiniXMLParseError(offset: 0, reason: "document larger than \(MiniXML.maxBytes) bytes")) {
            try parse(huge)
        }
    }

    /// Every proper prefix of a real response is refused, none crashes.
    @Test func everyTruncationIsRefused() throws {
        let full = try STSFixtures.bytes("moto-assume-role.xml")
        _ = try MiniXML.parse(full)
        for length in 0..<full.count {
            #expect(throws: MiniXMLParseError.self, "prefix of \(length) bytes") {
                try MiniXML.parse(Array(full.prefix(length)))
            }
        }
    }

    /// Random bytes and random cuts of markup never crash the parser.
    @Test func survivesGarbage() throws {
        var generator = SplitMix64(seed: 0x5EED)
        let alphabet = Array("<>/&;#x=\"' !?-[]CDATAab01\n".utf8) + [0x00, 0xC3, 0xFF]
        var accepted = 0
        for _ in 0..<5_000 {
            let length = Int.random(in: 0..<40, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            if (try? MiniXML.parse(bytes)) != nil { accepted += 1 }
        }
        #expect(accepted < 5_000)
    }
}

/// A small deterministic generator for tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum STSFixtures {
    static func bytes(_ name: String) throws -> [UInt8] {
        guard
            let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)?
                .appendingPathComponent("sts").appendingPathComponent(name)
        else { throw CocoaError(.fileNoSuchFile) }
        return Array(try Data(contentsOf: url))
    }
}
