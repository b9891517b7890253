import Foundation
import Logging
import Testing

@testable import CredVend
@testable import CredVendCore

/// One rule for every log line: whatever bytes a value holds, an event stays one line of
/// printable ASCII, and a reader can tell the value's bytes back.
@Suite struct LogEscapingTests {
    static let hostile = "a\nb\rc\td\"e\\f=g h\u{0}i\u{7F}j\u{E9}k\u{2028}l\u{85}m\u{1F600}"

    static func isOneASCIILine(_ s: String) -> Bool { s.utf8.allSatisfy { (0x20...0x7E).contains($0) } }

    @Test func plainValuesAreWrittenAsTheyAre() {
        for plain in ["/v1/credentials", "app-01", "127.0.0.1:5000", "[::1]:80", "0123456789ab", "a/b?c"] {
            #expect(LogEscaping.value(plain) == plain)
        }
    }

    @Test func anythingElseIsQuotedWithEscapes() {
        #expect(LogEscaping.value("") == #""""#)
        #expect(LogEscaping.value("a b") == #""a b""#)
        #expect(LogEscaping.value("k=v") == #""k=v""#)
        #expect(
            LogEscaping.value(Self.hostile)
                == #""a\nb\rc\td\"e\\f=g h\x00i\x7fj\xc3\xa9k\xe2\x80\xa8l\xc2\x85m\xf0\x9f\x98\x80""#
        )
        #expect(Self.isOneASCIILine(LogEscaping.value(Self.hostile)))
    }

    @Test func messagesKeepQuotesAndBackslashesButNoControlByte() {
        var out: [UInt8] = []
        LogEscaping.appendText("x=\"a\\nb\" then\nforged\u{0}\u{E9}", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"x="a\nb" then\nforged\x00\xc3\xa9"#)
    }

    @Test func auditJSONStringsAreASCIIAndReadBackTheSame() throws {
        let json = LogEscaping.jsonString(Self.hostile)
        #expect(json == #""a\nb\rc\td\"e\\f=g h\u0000i\u007fj\u00e9k\u2028l\u0085m\ud83d\ude00""#)
        #expect(Self.isOneASCIILine(json))
        let back = try JSONSerialization.jsonObject(with: Data("[\(json)]".utf8)) as? [String]
        #expect(back == [Self.hostile])
    }

    @Test func everyByteOfAValueStaysOnTheLine() {
        let all = String(decoding: (0...255).map { UInt8($0) }, as: UTF8.self)  // invalid UTF-8 becomes U+FFFD
        #expect(Self.isOneASCIILine(LogEscaping.value(all)))
        #expect(Self.isOneASCIILine(LogEscaping.jsonString(all)))
    }

    @Test func theAccessLogLineEscapesEachValue() {
        let line = AccessLogLine.message(
            method: "GET",
            path: "/v1/credentials\n2026-12-01T00:00:00.000Z INFO credvend.serve: request status=200",
            status: 404,
            micros: 3,
            remote: "127.0.0.1:5000",
            requestId: "ab-1",
            clientId: "c1\u{0}x",
            tokenFingerprint: nil,
            errorCode: nil
        )
        #expect(
            line == #"request client_id="c1\x00x" method=GET "#
                + #"path="/v1/credentials\n2026-12-01T00:00:00.000Z INFO credvend.serve: request status=200" "#
                + "remote=127.0.0.1:5000 request_id=ab-1 status=404 us=3"
        )
    }

    @Test func theLineHandlerEscapesMessageLabelKeysAndValues() throws {
        let ring = LogRing(capacity: 4)
        let logger = Logger(label: "test.escape") { LineLogHandler(label: $0, ring: ring) }
        logger.info(
            "refused \("x\ny")",
            metadata: ["client_id": "\(Self.hostile)", "count": .stringConvertible(3), "a\nkey": "v"]
        )
        let line = try #require(ring.latest(1).first)
        #expect(Self.isOneASCIILine(line))
        #expect(line.contains(#" INFO test.escape: refused x\ny "#))
        #expect(line.hasSuffix(#" "a\nkey"=v client_id=\#(LogEscaping.value(Self.hostile)) count=3"#))
    }
}
