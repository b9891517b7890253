import Foundation
import Testing

@testable import CredVendCore

/// Strict role records: a field given twice is refused on every path, every
/// length counts UTF-8 bytes, `server_name` is any printable label of 1-256
/// bytes, and the RoleSessionName made from it always suits STS.
@Suite struct StrictRecordTests {
    private let arn = Sample.arn
    private let emoji = "🙂"  // 4 bytes of UTF-8, one Character

    private func problem(_ edit: (inout RoleMapping) -> Void) -> RoleValidationError? {
        var m = RoleMapping(clientId: "1abc2defg3hij4klmno5pqrs6", roleArn: Sample.arn)
        edit(&m)
        do {
            try m.validate()
            return nil
        } catch {
            return error
        }
    }

    private func listError(_ json: String) -> RoleValidationError? {
        do {
            _ = try RoleMappingJSON.decodeList(Data(json.utf8))
            return nil
        } catch {
            return error
        }
    }

    private func oneError(_ json: String) -> RoleValidationError? {
        do {
            _ = try RoleMappingJSON.decode(Data(json.utf8))
            return nil
        } catch {
            return error
        }
    }

    // MARK: a field given twice

    @Test(arguments: RoleMappingJSON.fieldNames)
    func aFieldGivenTwiceInAnImportIsRefusedNamingRecordAndField(_ field: String) {
        let value = field == "session_duration_s" ? "3600" : #""x""#
        let json = """
            [{"client_id":"aaaaaaaaaa","role_arn":"\(arn)"},
             {"client_id":"bbbbbbbbbb","role_arn":"\(arn)","\(field)":\(value),"\(field)":\(value)}]
            """
        let e = listError(json)
        #expect(e?.recordIndex == 1)
        #expect(e?.field == field)
        #expect(e?.message.contains("more than once") == true)
        #expect(e?.message.contains("line 2") == true)
        #expect(e?.description.contains("record 1, field \"\(field)\"") == true)
    }

    @Test func aFieldGivenTwiceInOneRecordIsRefusedNamingTheField() {
        // Same value twice too: the text is still ambiguous to other readers.
        let e = oneError(#"{"client_id":"abc","role_arn":"\#(arn)","bucket":"b-one","bucket":"b-one"}"#)
        #expect(e?.field == "bucket")
        #expect(e?.recordIndex == nil)
        #expect(e?.description.hasPrefix("field \"bucket\": given more than once") == true)
        let e2 = oneError(#"{"client_id":"abc","role_arn":"\#(arn)","client_id":"abd"}"#)
        #expect(e2?.field == "client_id")
    }

    @Test func anEscapedSpellingOfTheSameNameIsTheSameField() {
        let e = oneError(#"{"client_id":"abc","role_arn":"\#(arn)","\u0062ucket":"bkt","bucket":"bkt"}"#)
        #expect(e?.field == "bucket")
    }

    @Test func aNameGivenTwiceOutsideARecordIsASyntaxError() {
        let nested = listError(#"[{"client_id":"abc","role_arn":"\#(arn)","server_name":{"a":1,"a":2}}]"#)
        #expect(nested?.field == nil)
        #expect(nested?.message.contains("duplicate member name") == true)
    }

    @Test func aFieldNameIsQuotedInTheMessage() {
        let e = oneError(#"{"client_id":"abc","role_arn":"\#(arn)","x\u0007":1,"x\u0007":2}"#)
        #expect(e?.field == "x\u{7}")
        #expect(e?.description.contains(#"field "x\u0007""#) == true)
    }

    // MARK: server_name: printable, 1-256 bytes

    @Test func sixtyFourEmojiAre256BytesAndAccepted() {
        let name = String(repeating: emoji, count: 64)
        #expect(name.utf8.count == 256)
        #expect(problem { $0.serverName = name } == nil)
    }

    @Test func sixtyFiveEmojiAre260BytesAndRefused() {
        let name = String(repeating: emoji, count: 65)
        #expect(name.utf8.count == 260)
        let e = problem { $0.serverName = name }
        #expect(e?.field == "server_name")
        #expect(e?.message.contains("256 bytes") == true)
    }

    @Test func byteLimitIsExact() {
        #expect(problem { $0.serverName = String(repeating: "s", count: 256) } == nil)
        #expect(problem { $0.serverName = String(repeating: "s", count: 257) }?.field == "server_name")
        #expect(problem { $0.serverName = "" }?.field == "server_name")
        // 128 "é" are 128 Characters but 256 bytes; with a combining mark each, 384 bytes.
        #expect(problem { $0.serverName = String(repeating: "é", count: 128) } == nil)
        #expect(problem { $0.serverName = String(repeating: "e\u{301}", count: 86) }?.field == "server_name")
    }

    @Test func asciiOf200BytesIsAcceptedAndItsSessionNameCutTo64ValidBytes() {
        let name = String(repeating: "edge-01.", count: 25)
        #expect(name.utf8.count == 200)
        #expect(problem { $0.serverName = name } == nil)
        let session = RoleSessionName.make(serverName: name, clientId: "c")
        #expect(session.utf8.count == 64)
        #expect(RoleSessionName.isValid(session))
        #expect(session == String(("credvend-" + name).utf8.prefix(64))!)
    }

    @Test(arguments: [UInt32](0...0x1F) + [0x7F] + [UInt32](0x80...0x9F))
    func controlCharactersAreRefused(_ code: UInt32) {
        let c = Character(Unicode.Scalar(code)!)
        for name in ["a\(c)b", "\(c)", "edge\(c)"] {
            let e = problem { $0.serverName = name }
            #expect(e?.field == "server_name")
            #expect(e?.message.contains("control") == true)
        }
    }

    @Test(arguments: [
        "Büro Köln #2", " leading and trailing space ", "tab-free\u{A0}nbsp", "日本語のサーバー", "👩‍👩‍👧 family",
        "a\u{200B}b", "e\u{301}", "\u{FFFD}", "quote \" and \\ backslash",
    ])
    func printableTextIsAccepted(_ name: String) {
        #expect(problem { $0.serverName = name } == nil)
    }

    @Test func jsonWithAControlCharacterInServerNameIsRefused() {
        let e = oneError(#"{"client_id":"abc","role_arn":"\#(arn)","server_name":"bell\u0007"}"#)
        #expect(e?.field == "server_name")
        let c1 = oneError(#"{"client_id":"abc","role_arn":"\#(arn)","server_name":"nel\u0085"}"#)
        #expect(c1?.field == "server_name")
    }

    @Test func textThatIsNotUTF8IsRefused() {
        var bytes = Array(#"{"client_id":"abc","role_arn":"\#(arn)","server_name":"x"#.utf8)
        bytes += [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(throws: RoleValidationError.self) { try RoleMappingJSON.decode(Data(bytes)) }
    }

    // MARK: every other length counts bytes, every character is a byte

    @Test func clientIdCountsBytes() {
        #expect(RoleRules.clientId(String(repeating: "x", count: 128)) == nil)
        #expect(RoleRules.clientId(String(repeating: "x", count: 129)) != nil)
        #expect(RoleRules.clientId("abc\u{301}") != nil)
    }

    @Test func roleArnIsReadAsBytes() {
        let base = "arn:aws:iam::123456789012:role/"
        #expect(AWSRules.roleArn(base + String(repeating: "n", count: 64)) == nil)
        #expect(AWSRules.roleArn(base + String(repeating: "n", count: 65)) != nil)
        #expect(AWSRules.roleArn(base + String(repeating: "p/", count: 256) + "n") == nil)
        #expect(AWSRules.roleArn(base + String(repeating: "p/", count: 257) + "n") != nil)
        // A combining mark after a separator: one Character, but the bytes hold a ":" or "/".
        #expect(AWSRules.roleArn("arn:aws:iam::123456789012:\u{301}role/x") != nil)
        #expect(AWSRules.roleArn(base + "x/\u{301}y") != nil)
        #expect(AWSRules.roleArn("arn:aws:iam::123456789012:role/n\u{301}") != nil)
    }

    @Test func bucketCountsBytes() {
        #expect(RoleRules.bucket(String(repeating: "b", count: 63)) == nil)
        #expect(RoleRules.bucket(String(repeating: "b", count: 64)) != nil)
        #expect(RoleRules.bucket("bucket\u{301}") != nil)
        #expect(RoleRules.bucket("xn--abc") != nil)
        #expect(RoleRules.bucket("abc-s3alias") != nil)
        #expect(RoleRules.bucket("a..b") != nil)
        #expect(RoleRules.bucket("10.0.0.1") != nil)
    }

    @Test func prefixCountsBytes() {
        #expect(RoleRules.s3PathPrefix(String(repeating: "é", count: 512)) == nil)  // 1024 bytes
        #expect(RoleRules.s3PathPrefix(String(repeating: "é", count: 513)) != nil)  // 1026 bytes
    }

    /// A `/`, `*` or `{` with a combining mark after it is one Character that is
    /// not `/`, `*` or `{`; S3 and IAM see the byte all the same.
    @Test(arguments: [
        "/\u{301}abs", "a/../\u{301}b", "a/./\u{301}b", "a/*\u{301}", "a/?\u{301}", "a/${\u{301}aws:username}",
    ])
    func prefixRulesSeeBytesNotGraphemes(_ prefix: String) {
        #expect(
            problem {
                $0.bucket = "oidc-s3-dev"
                $0.s3PathPrefix = prefix
            }?.field == "s3_path_prefix"
        )
    }

    @Test func messagesCutLongValuesByBytes() {
        let long = String(repeating: "e\u{301}", count: 100)
        let e = RoleValidationError(clientId: long, field: "client_id", message: "m")
        #expect(e.description.utf8.count < 120)
        #expect(RoleRules.cut(String(repeating: emoji, count: 20), toBytes: 10) == emoji + emoji + "...")
    }

    // MARK: the session name is always valid for STS

    /// Random printable strings, from the seeded generator the test passes in.
    static func randomPrintable<G: RandomNumberGenerator>(using g: inout G) -> String {
        let ranges: [ClosedRange<UInt32>] = [
            0x20...0x7E, 0xA0...0x24F, 0x300...0x36F, 0x400...0x4FF, 0x3040...0x30FF, 0x4E00...0x9FFF,
            0x200B...0x200F, 0x2028...0x2029, 0xFE00...0xFE0F, 0x1F300...0x1F6FF, 0x1F900...0x1F9FF,
            0xE000...0xE0FF, 0x10000...0x1007F,
        ]
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...90, using: &g) {
            let range = ranges.randomElement(using: &g)!
            if let s = Unicode.Scalar(UInt32.random(in: range, using: &g)) { scalars.append(s) }
        }
        return String(scalars)
    }

    @Test(arguments: [1, 2, 3, 42, 2026])
    func sessionNameIsValidForEveryAcceptedServerName(seed: UInt64) {
        var g = SplitMix64(seed: seed)
        var accepted = 0
        for _ in 0..<2000 {
            let name = Self.randomPrintable(using: &g)
            let ok = RoleRules.serverName(name) == nil
            #expect(ok == (1...256).contains(name.utf8.count), "\(name.unicodeScalars.map { $0.value })")
            guard ok else { continue }
            accepted += 1
            let session = RoleSessionName.make(serverName: name, clientId: "1abc2defg3hij4klmno5pqrs6")
            #expect(RoleSessionName.isValid(session), "\(name.unicodeScalars.map { $0.value }) -> \(session)")
            #expect(session.hasPrefix(RoleSessionName.prefix))
            #expect(session.utf8.count == min(64, 9 + name.unicodeScalars.count))
        }
        #expect(accepted > 1000)
    }

    @Test func theGeneratorIsSeeded() {
        var a = SplitMix64(seed: 7)
        var b = SplitMix64(seed: 7)
        #expect(Self.randomPrintable(using: &a) == Self.randomPrintable(using: &b))
    }
}
