import Testing

@testable import CredVendCore

@Suite struct JSONParserTests {
    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func parsesTheValuesJOSEUses() throws {
        let value = try parse(#" { "a" : [1, -2.5, 3e2, 0, true, false, null, "x"], "b": {"c": {}} , "d": [] } "#)
        #expect(value == ["a": [1, -2.5, 300, 0, true, false, nil, "x"], "b": ["c": [:]], "d": []])
    }

    @Test func numbersAndBooleansStayDistinct() throws {
        #expect(try parse("1").numberValue == 1)
        #expect(try parse("true").numberValue == nil)
        #expect(try parse(#""1""#).numberValue == nil)
        #expect(try parse("1").stringValue == nil)
        #expect(try parse("1800000000.75").numberValue == 1_800_000_000.75)
    }

    @Test func decodesEscapes() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        #expect(try parse(#""\u00e9\u20AC\ud83d\ude00""#) == .string("é€😀"))
        #expect(try parse("\"é€😀\"") == .string("é€😀"))
    }

    @Test(arguments: [
        "", " ", "{", "{\"a\":1,}", "[1,]", "[1 2]", "{\"a\" 1}", "{a:1}", "{'a':1}", "01", "1.", ".5", "-", "1e",
        "+1", "NaN", "Infinity", "tru", "nul", "\"abc", "\"a\u{1}b\"", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"",
        "\"\\udc00\"", "\"\\ud800\\u0041\"", "{\"a\":1}x", "{} {}", "{\"a\":1,\"a\":2}", "// c\n{}",
    ])
    func refusesInvalidJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        // encoded surrogate
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xED, 0xA0, 0x80, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0xEF, 0xBB, 0xBF, 0x7B, 0x7D]) }  // BOM
    }

    @Test func limitsNesting() throws {
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(throws: Never.self) { try parse(ok) }
        let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(throws: JSONParseError.self) { try parse(deep) }
        let deepObject = String(repeating: "{\"a\":", count: 40) + "1" + String(repeating: "}", count: 40)
        #expect(throws: JSONParseError.self) { try parse(deepObject) }
    }

    @Test func serializesSortedAndEscaped() throws {
        let value: JSONValue = ["b": 1, "a": ["x\"\\\n\u{1}é", 1.5, 1_800_000_000, true, nil], "c": -0.25]
        #expect(value.jsonString == #"{"a":["x\"\\\n\u0001é",1.5,1800000000,true,null],"b":1,"c":-0.25}"#)
        #expect(try JSONParser.parse(value.serialized()) == value)
        #expect(JSONValue.number(.infinity).jsonString == "null")
    }

    @Test func aDuplicateNameIsReportedWithItsPath() {
        do {
            _ = try JSONParser.parse(Array(#"[0, {"a": [1, {"b": 1, "b": 2}]}]"#.utf8))
            Issue.record("parsed")
        } catch {
            #expect(error.reason == "duplicate member name")
            #expect(error.duplicateName == "b")
            #expect(error.path == [.index(1), .member("a"), .index(1)])
            #expect(error.offset == 23)
            #expect(!error.description.contains("\"b\""))  // the description names a position only
        }
        do {
            _ = try JSONParser.parse(Array(#"{"x": [1, 2, oops]}"#.utf8))
        } catch {
            #expect(error.duplicateName == nil)
            #expect(error.path == [.member("x"), .index(2)])
        }
    }
}
