import Foundation
import Testing

@testable import CredVendCore

@Suite struct RoleMappingJSONTests {
    private func decodeList(_ json: String) -> Result<[RoleMapping], RoleValidationError> {
        Result { () throws(RoleValidationError) in try RoleMappingJSON.decodeList(Data(json.utf8)) }
    }

    private func error(_ json: String) -> RoleValidationError? {
        if case .failure(let e) = decodeList(json) { return e }
        return nil
    }

    private let arn = Sample.arn

    @Test func decodesWithDefaults() throws {
        let records = try decodeList(#"[{"client_id":"abc","role_arn":"\#(arn)"}]"#).get()
        #expect(records == [RoleMapping(clientId: "abc", roleArn: arn)])
        #expect(records[0].permission == .write)
        #expect(records[0].sessionDurationSeconds == 3600)
    }

    @Test func decodesEveryField() throws {
        let json = #"""
            [{"session_duration_s": 7200, "permission": "full", "s3_path_prefix": "p/", "bucket": "bkt",
              "server_name": "s", "role_arn": "\#(arn)", "client_id": "abc"}]
            """#
        #expect(
            try decodeList(json).get() == [
                RoleMapping(
                    clientId: "abc",
                    roleArn: arn,
                    serverName: "s",
                    bucket: "bkt",
                    s3PathPrefix: "p/",
                    permission: .full,
                    sessionDurationSeconds: 7200
                )
            ]
        )
    }

    @Test func nullOptionalMeansAbsent() throws {
        let records = try decodeList(#"[{"client_id":"abc","role_arn":"\#(arn)","bucket":null,"permission":null}]"#)
            .get()
        #expect(records[0].bucket == nil)
        #expect(records[0].permission == .write)
    }

    @Test func unknownFieldIsRefused() {
        let e = error(#"[{"client_id":"abc","role_arn":"\#(arn)","bukket":"x"}]"#)
        #expect(e?.field == "bukket")
        #expect(e?.message.contains("unknown field") == true)
        #expect(e?.recordIndex == 0)
        #expect(e?.clientId == "abc")
    }

    @Test(
        "wrong JSON types are refused",
        arguments: [
            ("client_id", #"{"client_id":5,"role_arn":"ARN"}"#),
            ("role_arn", #"{"client_id":"abc","role_arn":["ARN"]}"#),
            ("server_name", #"{"client_id":"abc","role_arn":"ARN","server_name":1}"#),
            ("bucket", #"{"client_id":"abc","role_arn":"ARN","bucket":true}"#),
            ("permission", #"{"client_id":"abc","role_arn":"ARN","permission":1}"#),
            ("session_duration_s", #"{"client_id":"abc","role_arn":"ARN","session_duration_s":"3600"}"#),
            ("session_duration_s", #"{"client_id":"abc","role_arn":"ARN","session_duration_s":3600.5}"#),
            ("session_duration_s", #"{"client_id":"abc","role_arn":"ARN","session_duration_s":true}"#),
            ("session_duration_s", #"{"client_id":"abc","role_arn":"ARN","session_duration_s":1e30}"#),
            ("client_id", #"{"role_arn":"ARN"}"#),
            ("role_arn", #"{"client_id":"abc"}"#),
            ("role_arn", #"{"client_id":"abc","role_arn":null}"#),
            ("permission", #"{"client_id":"abc","role_arn":"ARN","permission":"admin"}"#),
        ]
    )
    func wrongTypes(_ field: String, _ record: String) {
        let e = error("[" + record.replacingOccurrences(of: "ARN", with: arn) + "]")
        #expect(e?.field == field)
        #expect(e?.recordIndex == 0)
    }

    @Test func badRecordInTheMiddleIsNamedByIndexClientAndField() {
        let e = error(
            #"""
            [{"client_id":"first","role_arn":"\#(arn)"},
             {"client_id":"second","role_arn":"\#(arn)","bucket":"Bad_Bucket"},
             {"client_id":"third","role_arn":"\#(arn)"}]
            """#
        )
        #expect(
            e == RoleValidationError(recordIndex: 1, clientId: "second", field: "bucket", message: e?.message ?? "")
        )
        #expect(e?.description.hasPrefix(#"record 1 (client_id "second"), field "bucket": "#) == true)
    }

    @Test func duplicateClientIdIsRefused() {
        let e = error(
            #"[{"client_id":"a","role_arn":"\#(arn)"},{"client_id":"b","role_arn":"\#(arn)"},{"client_id":"a","role_arn":"\#(arn)"}]"#
        )
        #expect(e?.recordIndex == 2)
        #expect(e?.field == "client_id")
        #expect(e?.message.contains("record 0") == true)
    }

    @Test(
        "not an array of objects",
        arguments: ["", "   ", "{", #"{"client_id":"a"}"#, "[1]", "[[]]", "null", "[{\"a\":1}"]
    )
    func notAnArray(_ text: String) {
        let e = error(text)
        #expect(e != nil)
        #expect(e?.field == nil)
    }

    @Test func syntaxErrorSaysWhere() {
        let e = error("[\n  {\"client_id\": \"a\",\n   oops}]")
        #expect(e?.message.contains("line 3") == true)
    }

    @Test func aFieldGivenTwiceIsRefused() {
        let e = error("[\n  {\"client_id\": \"a\", \"role_arn\": \"\(arn)\", \"client_id\": \"b\"}]")
        #expect(e?.message.hasPrefix("given more than once (line 2, column ") == true)
        #expect(e?.field == "client_id")
        #expect(e?.recordIndex == 0)
        #expect(throws: RoleValidationError.self) {
            try RoleMappingJSON.decode(Data(#"{"client_id":"a","client_id":"a","role_arn":"\#(arn)"}"#.utf8))
        }
    }

    @Test func canonicalEncodingHasFixedKeyOrderAndOmitsAbsentFields() {
        let full = RoleMapping(
            clientId: "abc",
            roleArn: arn,
            serverName: "s",
            bucket: "bkt",
            s3PathPrefix: "p/",
            permission: .readWrite,
            sessionDurationSeconds: 900
        )
        #expect(
            RoleMappingJSON.encode(full)
                == #"{"client_id":"abc","role_arn":"\#(arn)","server_name":"s","bucket":"bkt","s3_path_prefix":"p/","permission":"read-write","session_duration_s":900}"#
        )
        #expect(
            RoleMappingJSON.encode(RoleMapping(clientId: "abc", roleArn: arn))
                == #"{"client_id":"abc","role_arn":"\#(arn)","permission":"write","session_duration_s":3600}"#
        )
    }

    @Test func encodeThenDecodeIsIdentity() throws {
        let records = [
            Sample.mapping(1), Sample.mapping(2, permission: .full),
            RoleMapping(clientId: "x", roleArn: arn, serverName: #"Quote " and \ backslash, ünïcode"#),
        ]
        let text = RoleMappingJSON.encodeList(records)
        #expect(try decodeList(text).get() == records)
        #expect(RoleMappingJSON.encodeList(try decodeList(text).get()) == text)
        #expect(RoleMappingJSON.encodeList([]) == "[]\n")
        #expect(try decodeList("[]\n").get().isEmpty)
    }

    @Test func quotedEscapesControlCharacters() {
        #expect(RoleMappingJSON.quoted("a\"b\\c\n\u{1}\u{1f}") == #""a\"b\\c\n\u0001\u001f""#)
    }

    @Test func singleRecordDecode() throws {
        let m = try RoleMappingJSON.decode(Data(#"{"client_id":"abc","role_arn":"\#(arn)"}"#.utf8))
        #expect(m.clientId == "abc")
        #expect(throws: RoleValidationError.self) { try RoleMappingJSON.decode(Data("[]".utf8)) }
    }
}
