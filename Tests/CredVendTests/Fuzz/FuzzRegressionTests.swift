import Foundation
import Testing

@testable import CredVendCore

/// Inputs the libFuzzer targets in fuzz/ found, replayed against the invariant each broke
/// (fuzz/README.md). Each is also in that target's seed corpus, fuzz/Corpus/<target>/.
@Suite struct FuzzRegressionTests {
    /// `fuzz/Corpus/<target>/<name>`, as the fuzzer wrote it.
    static func input(_ base64: String) -> [UInt8] { Array(Data(base64Encoded: base64)!) }

    /// FuzzJSON: `2E+2123` read as infinity, which serialises as null, so an accepted
    /// document did not survive serialise → parse (regression-number-overflow).
    @Test func numberBeyondDoubleIsRefused() throws {
        let input = Self.input("WyJcXFxcL3JcdCIsICJcdTAwMDAiLCAwLDIuNWUxMCx0cnVlLCAtMCwgMkUrMjEyM10=")
        #expect(throws: JSONParseError.self) { try JSONParser.parse(input) }
        for text in ["1e400", "-1e400", "[1E+309]", "{\"exp\":9e999}"] {
            #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(text.utf8)) }
        }
        // Everything finite still round-trips.
        let finite = try JSONParser.parse(Array("[1.7976931348623157e308, -0, 5e-324, 2.5e10]".utf8))
        #expect(try JSONParser.parse(finite.serialized()) == finite)
    }

    /// FuzzRoleRecord: a record with two unknown fields was refused naming either, as the
    /// dictionary of members happened to be ordered, so two readings of the same bytes
    /// disagreed (regression-two-unknown-fields). The first in name order is named.
    @Test func twoUnknownFieldsAlwaysNameTheSameField() {
        let input = Self.input(
            "eyJgY2xpZW50X2lkIjogImMiLCAicm9sZWFuX3IiOiAiYXJuOmF3czppYW06OjEyMzQ1Njc4OTAxMjpyb2xlL3BhdGgvciJ9"
        )
        for _ in 0..<50 {
            #expect(throws: RoleValidationError.self) { try RoleMappingJSON.decode(bytes: input) }
            do {
                _ = try RoleMappingJSON.decode(bytes: input)
            } catch {
                #expect(error.field == "`client_id")
            }
        }
    }
}
