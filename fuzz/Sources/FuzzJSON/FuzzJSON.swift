import CredVendCore
import FuzzSupport

// JSONParser: never crashes, and whatever it accepts survives serialise → parse unchanged.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = bytes(start, count)
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
