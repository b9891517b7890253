import Foundation
import Testing

@testable import CredVendCore

@Suite struct TokenExtractorFastPathTests {
    static func extract(_ body: String, _ auth: String? = nil) -> Result<String, APIError> {
        TokenExtractor.token(body: Array(body.utf8), authorization: auth)
    }

    static func token(_ r: Result<String, APIError>) -> String? {
        if case .success(let t) = r { return t }
        return nil
    }

    static func status(_ r: Result<String, APIError>) -> Int? {
        if case .failure(let e) = r { return e.response.status }
        return nil
    }

    @Test(arguments: [
        "{\"access_token\": \"aaa.bbb.ccc\"}", "{\"access_token\":\"aaa.bbb.ccc\"}",
        " \n{ \"access_token\" :\t\"aaa.bbb.ccc\" }\r\n",
    ])
    func thePlainShapeIsReadWithoutAParser(body: String) {
        #expect(TokenExtractor.plainTokenRange(Array(body.utf8)) != nil)
        #expect(Self.token(Self.extract(body)) == "aaa.bbb.ccc")
    }

    @Test(arguments: [
        "{\"access_token\": \"a\\\"b\"}", "{\"access_token\": \"a\\u0041b\"}", "{\"access_token\": \"aé\"}",
        "{\"access_token\": \"x\", \"other\": 1}", "{\"other\": 1, \"access_token\": \"x\"}",
        "{\"access_token\": \"\"}", "{\"access_token\": 5}", "[\"access_token\"]", "{\"access_token\": \"x\"} x",
        "{\"access_token\": \"x\"", "{\"access_token\": \"a\tb\"}",
    ])
    func otherShapesGoThroughTheParserWithTheSameAnswers(body: String) {
        #expect(TokenExtractor.plainTokenRange(Array(body.utf8)) == nil)
        let parsed = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        let r = Self.extract(body)
        if let t = parsed?["access_token"] as? String, !t.isEmpty {
            #expect(Self.token(r) == t)
        } else {
            #expect(Self.status(r) == 400)
        }
    }

    @Test func bodyAndHeaderTogetherAreRefused() {
        #expect(Self.status(Self.extract("{\"access_token\": \"aaa\"}", "Bearer bbb")) == 400)
        #expect(Self.status(Self.extract("{\"access_token\": \"a\\u0041\"}", "Bearer bbb")) == 400)
    }

    @Test func headerWithEmptyBody() {
        #expect(Self.token(Self.extract("", "Bearer abc")) == "abc")
        #expect(Self.token(Self.extract("  \n", "bearer abc ")) == "abc")
        #expect(Self.status(Self.extract("", "Basic abc")) == 400)
        #expect(Self.status(Self.extract("", nil)) == 400)
    }

    @Test func byteScanFindsTheQuoteOnlyAfterPlainBytes() {
        for n in 0..<40 {
            let plain = String(repeating: "a", count: n)
            #expect(ByteScan.plainStringEnd(Array((plain + "\"rest").utf8), from: 0) == n)
            for bad: UInt8 in [0x5C, 0x1F, 0x7F, 0x80, 0xFF, 0x00] {
                var bytes = Array((plain + "b\"").utf8)
                bytes[n] = bad
                #expect(ByteScan.plainStringEnd(bytes, from: 0) == nil, "byte \(bad) at \(n)")
            }
        }
        #expect(ByteScan.plainStringEnd(Array("abc".utf8), from: 0) == nil)
        #expect(ByteScan.plainStringEnd(Array("ab\"".utf8), from: 3) == nil)
    }
}
