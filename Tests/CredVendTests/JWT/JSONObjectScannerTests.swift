import Testing

@testable import CredVendCore

/// `JSONParser.objectMembers` reads flat objects with `JSONObjectScanner`; whatever the
/// input, it must answer what `JSONParser.parse` answers.
@Suite struct JSONObjectScannerTests {
    static let claims =
        #"{"sub":"abc","token_use":"access","scope":"credvend/read credvend/write","auth_time":1764633600,"#
        + #""iss":"https://issuer.example/pool","exp":1764637200,"iat":1764633600,"version":2,"#
        + #""jti":"0f3e-11","client_id":"cccccccccccccccccccccccc1","active":true,"nbf":null}"#

    static func strict(_ bytes: [UInt8]) -> [String: JSONValue]? { (try? JSONParser.parse(bytes))?.objectValue }

    static func scanned(_ bytes: [UInt8]) -> Bool { JSONObjectScanner.scan(bytes) { _, _ in true } }

    @Test func readsFlatObjectsInOnePass() {
        for text in [Self.claims, #"{"alg":"RS256","kid":"k1","typ":"JWT"}"#, "{}", " {\n\t\"a\" : 0 ,\r\"b\":\"\"} "] {
            let bytes = Array(text.utf8)
            #expect(Self.scanned(bytes), "\(text)")
            #expect(JSONParser.objectMembers(bytes) == Self.strict(bytes), "\(text)")
        }
    }

    @Test func leavesTheUnusualToTheParser() {
        for text in [
            #"{"a":"\n"}"#, #"{"\u0061":1}"#, #"{"a":"é"}"#, #"{"a":{"b":1}}"#, #"{"a":[1]}"#, #"{"a":1.5}"#,
            #"{"a":1e3}"#, #"{"a":-1}"#, #"{"a":01}"#, #"{"a":1234567890123456}"#,
            #"{"a":1,}"#, #"{"a":tru}"#, "[]", "", #"{"a":1}x"#, #"{"a" 1}"#,
        ] {
            #expect(!Self.scanned(Array(text.utf8)), "\(text)")
        }
        // A name given twice: the parser's refusal, not one of the two values.
        #expect(JSONParser.objectMembers(Array(#"{"a":1,"a":2}"#.utf8)) == nil)
    }

    @Test func hostileVariantsReadAsTheParserReadsThem() {
        var scannedCount = 0
        for sample in [Self.claims, #"{"alg":"RS256","kid":"k1"}"#] {
            for bytes in HostileVariants.of(sample, replacements: #""\{}[],:.e-0 1tn"#) {
                if Self.scanned(bytes) { scannedCount += 1 }
                #expect(
                    JSONParser.objectMembers(bytes) == Self.strict(bytes),
                    "\(String(decoding: bytes, as: UTF8.self))"
                )
            }
        }
        #expect(scannedCount > 0)
    }

    @Test func hugeNumbersAndDeepNestingReadAsTheParserReadsThem() {
        for text in [
            #"{"a":"# + String(repeating: "9", count: 400) + "}",
            #"{"a":1e400}"#, #"{"a":999999999999999}"#, #"{"a":9007199254740993}"#,
            "{\"a\":" + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}",
            #"{"a":"\ud800"}"#, #"{"a":"\ud83d\ude00"}"#,
        ] {
            let bytes = Array(text.utf8)
            #expect(JSONParser.objectMembers(bytes) == Self.strict(bytes), "\(text)")
        }
        var invalid = Array(#"{"a":"xx"}"#.utf8)
        invalid[6] = 0xC3
        invalid[7] = 0x28
        #expect(JSONParser.objectMembers(invalid) == nil)
    }
}
