import FuzzSupport

@testable import CredVendCore

// The STS response parser (and MiniXML under it): never crashes; success carries
// non-empty credentials; an error never repeats a redacted secret. The first byte
// picks the action and whether the HTTP status is 200, 400 or 403. STSSuccessScanner
// (inside `parse`) answers as the MiniXML reading (`parseDocument`) does.
let secret = "FwoGZXIvYXdzEFUZZSECRETTOKEN"
let statuses = [200, 400, 403, 500]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = bytes(start, count)
    guard let selector = input.first else { return 0 }
    let body = Array(input.dropFirst())
    let action: STSAction = selector & 1 == 0 ? .assumeRoleWithWebIdentity : .assumeRole
    let status = statuses[Int(selector >> 1) % statuses.count]
    let strict = Result { () throws(STSError) in
        try STSResponseParser.parseDocument(body, httpStatus: status, action: action, redacting: [secret])
    }
    let read = Result { () throws(STSError) in
        try STSResponseParser.parse(body, httpStatus: status, action: action, redacting: [secret])
    }
    check(read == strict, "the one-pass success scanner reads otherwise than MiniXML")
    do {
        let assumed = try STSResponseParser.parse(body, httpStatus: status, action: action, redacting: [secret])
        check((200..<300).contains(status), "an error status parsed as success")
        check(
            !assumed.credentials.accessKeyId.isEmpty && !assumed.credentials.secretAccessKey.isEmpty,
            "success without keys"
        )
    } catch {
        check(!"\(error)".contains(secret), "an STS error repeats a redacted secret: \(error)")
    }
    return 0
}

@_cdecl("FuzzSTSXML_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { fuzz($0, $1) }
}
