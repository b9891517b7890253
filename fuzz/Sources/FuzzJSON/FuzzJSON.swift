import FuzzSupport

@testable import CredVendCore

// JSONParser: never crashes, and whatever it accepts survives serialise → parse unchanged;
// JSONObjectScanner (through `objectMembers`) reads every input as the parser reads it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = bytes(start, count)
    check(
        JSONParser.objectMembers(input) == (try? JSONParser.parse(input))?.objectValue,
        "the one-pass object scanner reads otherwise than the parser"
    )
    guard let value = try? JSONParser.parse(input) else { return 0 }
    let again = value.serialized()
    guard let reparsed = try? JSONParser.parse(again, maxDepth: 64) else {
        check(false, "serialised JSON does not parse: \(String(decoding: again, as: UTF8.self))")
        return 0
    }
    check(reparsed == value, "serialise → parse changed the value")
    check(reparsed.serialized() == again, "serialisation is not stable")
    return 0
}

@_cdecl("FuzzJSON_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { fuzz($0, $1) }
}
