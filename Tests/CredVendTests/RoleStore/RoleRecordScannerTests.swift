import Testing

@testable import CredVendCore

/// `RoleMappingJSON.decode(bytes:)` reads the usual record with `RoleRecordScanner`; on
/// every input it must answer what the strict reading (JSONParser's value) answers,
/// the same record or the same error.
@Suite struct RoleRecordScannerTests {
    static func strict(_ bytes: [UInt8]) -> Result<RoleMapping, RoleValidationError> {
        Result { () throws(RoleValidationError) in
            try RoleMapping(parsed: try RoleMappingJSON.checkSyntax(bytes, list: false), index: nil)
        }
    }

    static func decoded(_ bytes: [UInt8]) -> Result<RoleMapping, RoleValidationError> {
        Result { () throws(RoleValidationError) in try RoleMappingJSON.decode(bytes: bytes) }
    }

    static let samples = [
        RoleMappingJSON.encode(Sample.mapping(1)),
        RoleMappingJSON.encode(Sample.mapping(2, permission: .readWrite)),
        RoleMappingJSON.encode(RoleMapping(clientId: "abc", roleArn: "arn:aws:iam::123456789012:role/r")),
    ]

    @Test func readsStoredRecordsInOnePass() {
        for text in Self.samples + [" {\n \"role_arn\" : \"arn:aws:iam::123456789012:role/r\", \"client_id\":\"x\" }\n"]
        {
            let bytes = Array(text.utf8)
            let record = RoleRecordScanner.scan(bytes)
            #expect(record != nil, "\(text)")
            #expect(record.map(Result.success) == Self.strict(bytes), "\(text)")
        }
    }

    @Test func leavesTheUnusualToTheStrictReading() {
        let arn = "arn:aws:iam::123456789012:role/r"
        for text in [
            #"{"client_id":"abc","role_arn":"\#(arn)","roles":[]}"#,
            #"{"client_id":"abc","role_arn":"\#(arn)","bucket":null}"#,
            #"{"client_id":"abc","role_arn":"\#(arn)","client_id":"abc"}"#,
            #"{"client_id":"abc","role_arn":"\#(arn)","extra":"x"}"#,
            #"{"client_id":"a\u0062c","role_arn":"\#(arn)"}"#,
            #"{"client_id":"abc","role_arn":"\#(arn)","session_duration_s":"900"}"#,
            #"{"client_id":"abc","role_arn":"\#(arn)","session_duration_s":900.0}"#,
            #"{"client_id":"abc","role_arn":"\#(arn)","session_duration_s":1}"#,
            #"{"client_id":"abc","role_arn":"\#(arn)","permission":"admin"}"#,
            #"{"client_id":"abc","role_arn":"\#(arn)","server_name":1}"#,
            #"{"client_id":"abc"}"#, #"{"client_id":"a b","role_arn":"\#(arn)"}"#,
        ] {
            let bytes = Array(text.utf8)
            #expect(RoleRecordScanner.scan(bytes) == nil, "\(text)")
            #expect(Self.decoded(bytes) == Self.strict(bytes), "\(text)")
        }
    }

    @Test func hostileVariantsReadAsTheStrictReading() {
        var scanned = 0
        for sample in Self.samples {
            for bytes in HostileVariants.of(sample, replacements: #""\{}[],:.e-0 1n/*"#) {
                if RoleRecordScanner.scan(bytes) != nil { scanned += 1 }
                #expect(Self.decoded(bytes) == Self.strict(bytes), "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
        #expect(scanned > 0)
    }
}
