import Foundation
import Testing

@testable import CredVendCore

/// `RoleMappingJSON.decode` reads JSONParser's value; it must read every record as the
/// `Decodable` conformance reads it through JSONDecoder (what it did before), and refuse
/// what that refused, with the same error.
@Suite struct RoleRecordReadingTests {
    /// The former path: the syntax check, then JSONDecoder.
    static func throughJSONDecoder(_ data: Data) -> Result<RoleMapping, RoleValidationError> {
        do {
            _ = try RoleMappingJSON.checkSyntax(Array(data), list: false)
            return .success(try JSONDecoder().decode(RoleMapping.self, from: data))
        } catch let error as RoleValidationError {
            return .failure(error)
        } catch {
            return .failure(RoleValidationError(message: "JSONDecoder: \(error)"))
        }
    }

    static func direct(_ data: Data) -> Result<RoleMapping, RoleValidationError> {
        Result { () throws(RoleValidationError) in try RoleMappingJSON.decode(data) }
    }

    static func expectSame(_ text: String) {
        let data = Data(text.utf8)
        let old = throughJSONDecoder(data)
        let new = direct(data)
        #expect(old == new, "\(text)")
    }

    @Test func samplesAndEdgeCases() {
        let arn = Sample.arn
        for m in [Sample.mapping(1), Sample.mapping(2, permission: .full), Sample.mapping(3, permission: .readWrite)] {
            Self.expectSame(RoleMappingJSON.encode(m))
        }
        for text in [
            "[]", "3", "null", "\"x\"", "{}", #"{"client_id":"abc"}"#, #"{"role_arn":"\#(arn)"}"#,
            #"{"client_id":null,"role_arn":"\#(arn)"}"#, #"{"client_id":7,"role_arn":"\#(arn)"}"#,
            #"{"client_id":"abc","role_arn":"\#(arn)","extra":1}"#,
            #"{"client_id":"abc","role_arn":"\#(arn)","roles":null}"#,
            #"{"client_id":"abc","role_arn":"\#(arn)","roles":{}}"#,
            #"{"client_id":"abc","role_arn":"\#(arn)","roles":[]}"#,
            #"{"client_id":"abc","role_arn":"\#(arn)","roles":[1]}"#,
            #"{"client_id":"abc","role_arn":"\#(arn)","roles":[{"name":"r","role_arn":"\#(arn)"},null]}"#,
            #"{"client_id":"abc","role_arn":"\#(arn)","roles":[{"name":"r","role_arn":"\#(arn)","x":1}]}"#,
            #"{"client_id":"abc","role_arn":"\#(arn)","roles":[{"role_arn":"\#(arn)"}]}"#,
        ] {
            Self.expectSame(text)
        }
    }

    /// Records made of fields of every kind, right and wrong.
    @Test func generatedRecords() {
        let arn = Sample.arn
        let strings = [
            #""abc""#, #""1abc2defg3hij4klmno5pqrs6""#, #""""#, #""a\u0000b""#, #""\u00e9""#, "null", "1", "true",
            "[]", "{}", #""\#(arn)""#,
        ]
        let values: [String: [String]] = [
            "client_id": strings, "role_arn": [#""\#(arn)""#, #""arn:aws:iam::1:user/x""#] + strings,
            "server_name": strings + [#""server 1""#, #""a\nb""#],
            "bucket": strings + [#""my-bucket""#, #""My_Bucket""#], "s3_path_prefix": strings + [#""backups/""#],
            "permission": [#""write""#, #""full""#, #""read-write""#, #""admin""#, "null", "1"],
            "session_duration_s": [
                "3600", "3600.0", "3.6e3", "36e2", "3600.5", "-0", "900", "899", "43200", "43201", "1e20", "-3600",
                #""3600""#, "null", "true", "9007199254740993", "0.0036e6",
            ],
        ]
        var generator = SplitMix64(seed: 0x12_0FF1CE)
        for _ in 0..<3_000 {
            var members: [String] = []
            for (name, options) in values.sorted(by: { $0.key < $1.key })
            where Int.random(in: 0..<10, using: &generator) < 8 {
                members.append("\"\(name)\":\(options.randomElement(using: &generator)!)")
            }
            if Int.random(in: 0..<10, using: &generator) == 0 { members.append(#""unknown":1"#) }
            if Int.random(in: 0..<4, using: &generator) == 0 {
                let role = [
                    #""name":"r1""#, #""role_arn":"\#(arn)""#,
                    "\"session_duration_s\":\(values["session_duration_s"]!.randomElement(using: &generator)!)",
                    "\"permission\":\(values["permission"]!.randomElement(using: &generator)!)",
                ].filter { _ in Int.random(in: 0..<10, using: &generator) < 8 }
                members.append(#""roles":[{"# + role.joined(separator: ",") + "}]")
            }
            members.shuffle(using: &generator)
            Self.expectSame("{" + members.joined(separator: ",") + "}")
        }
    }

    @Test func listsAsBefore() throws {
        let arn = Sample.arn
        for text in [
            RoleMappingJSON.encodeList([Sample.mapping(1), Sample.mapping(2, permission: .full)]),
            #"[{"client_id":"abc","role_arn":"\#(arn)"},null]"#, #"[{"client_id":"abc","role_arn":"\#(arn)"},[]]"#,
            #"[{"client_id":"abc","role_arn":"\#(arn)"},{"client_id":"abc","role_arn":"x"}]"#, "[]",
        ] {
            let data = Data(text.utf8)
            let old: Result<[RoleMapping], RoleValidationError>
            do {
                _ = try RoleMappingJSON.checkSyntax(Array(data), list: true)
                old = .success(try JSONDecoder().decode([RoleMapping].self, from: data))
            } catch let error as RoleValidationError {
                old = .failure(error)
            } catch {
                old = .failure(RoleValidationError(message: "JSONDecoder: \(error)"))
            }
            #expect(old == Result { () throws(RoleValidationError) in try RoleMappingJSON.decodeList(data) }, "\(text)")
        }
        let e = #expect(throws: RoleValidationError.self) { try RoleMappingJSON.decodeList(Data("{}".utf8)) }
        #expect(e?.message == "must be a JSON array of role records")
    }
}
