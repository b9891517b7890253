import Foundation
import FuzzSupport

@testable import CredVendCore

// Role-record JSON: a record (or list) that decodes re-encodes to bytes that decode to
// the same record, and encoding is canonical (encode ∘ decode ∘ encode = encode);
// RoleRecordScanner (inside `decode`) answers as the strict reading does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = bytes(start, count)
    let data = Data(input)
    let strict = Result { () throws(RoleValidationError) in
        try RoleMapping(parsed: try RoleMappingJSON.checkSyntax(input, list: false), index: nil)
    }
    check(
        Result { () throws(RoleValidationError) in try RoleMappingJSON.decode(bytes: input) } == strict,
        "the one-pass record scanner reads otherwise than the strict reading"
    )
    if let record = try? RoleMappingJSON.decode(data) {
        let encoded = RoleMappingJSON.encode(record)
        do {
            let again = try RoleMappingJSON.decode(Data(encoded.utf8))
            check(again == record, "re-encoded record decodes to another record: \(encoded)")
            check(RoleMappingJSON.encode(again) == encoded, "encoding is not canonical: \(encoded)")
        } catch {
            check(false, "re-encoded record does not decode (\(error)): \(encoded)")
        }
    }
    if let records = try? RoleMappingJSON.decodeList(data) {
        let encoded = RoleMappingJSON.encodeList(records)
        do {
            let again = try RoleMappingJSON.decodeList(Data(encoded.utf8))
            check(again == records, "re-encoded list decodes to other records")
        } catch {
            check(false, "re-encoded list does not decode (\(error))")
        }
    }
    return 0
}

@_cdecl("FuzzRoleRecord_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { fuzz($0, $1) }
}
