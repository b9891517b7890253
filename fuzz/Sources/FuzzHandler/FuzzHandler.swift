import CredVend
import CredVendCore
import CredVendStore
import CredVendTesting
import Dispatch
import Foundation
import FuzzSupport
import Logging

// The request path through ServeApplication.handle, wired as the in-process tests do
// (FakeSTS, FakeJWKS, a fixed clock, a role store in a temporary directory).
// Input: a request line `METHOD /path?query`, header lines `Name: value`, an empty
// line, then the body. `@TOKEN@` anywhere is replaced by a valid access token of the
// mapped client, so fuzzed requests also reach the role lookup and STS.
// Invariant: the status is one of the error table's (or 200), never another 5xx.
let clientId = "3n4b5c6d7e8f9g0h1i2j3k4l5m"
let allowed: Set<Int> = [200, 400, 401, 403, 404, 405, 413, 502, 503]

let clock = FixedClock()
let issuer = FakeJWKS()
let sts = FakeSTS(clock: clock)
let logger = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }
let metrics = ServerMetrics()
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("credvend-fuzz-\(getpid())").path
let roles: RoleStore = {
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let store = try! RoleStore(directory: directory)
    _ = try! store.put(RoleMapping(clientId: clientId, roleArn: "arn:aws:iam::123456789012:role/first"))
    atexit { try? FileManager.default.removeItem(atPath: directory) }
    return store
}()
let app: ServeApplication = {
    let jwks = JWKSCache(source: .url(issuer.url), client: issuer, logger: logger, metrics: metrics, clock: clock)
    jwks.refresh(reason: "fuzz start")
    let stsClient = try! STSClient(
        endpoint: sts.endpoint,
        region: sts.region,
        client: sts,
        retry: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(1), maxDelay: .milliseconds(1)),
        metrics: metrics,
        logger: logger,
        clock: clock
    )
    let vending = VendingService(
        verifier: JWTVerifier(issuer: TestKeys.issuer, requiredScopes: ["credvend/vend"]),
        jwks: jwks,
        roles: roles,
        cache: CredentialCache(refreshBuffer: 900),
        sts: stsClient,
        source: SourceCredentialsProvider(fixed: FakeSTS.sourceCredentials, logger: logger),
        metrics: metrics,
        logger: logger,
        tokenIdentifier: nil,
        clock: clock
    )
    return ServeApplication(
        vending: vending,
        readiness: { [] },
        metrics: metrics,
        logger: logger,
        audit: nil,
        auditRequired: false,
        clock: clock
    )
}()
let token = TestKeys.accessToken(clientId: clientId, issuedAt: clock.now(), signer: TestKeys.ecSigner)

func request(_ input: [UInt8]) -> HTTPRequest? {
    var input = input
    if let text = text(input), text.contains("@TOKEN@") { input = Array(text.replacing("@TOKEN@", with: token).utf8) }
    let newline = UInt8(ascii: "\n")
    var lines: [ArraySlice<UInt8>] = []
    var at = input.startIndex
    while let end = input[at...].firstIndex(of: newline) {
        let line = input[at..<end]
        at = end + 1
        if line.isEmpty || line == [13] { break }
        lines.append(line.last == 13 ? line.dropLast() : line)
    }
    guard let first = lines.first, let requestLine = text(Array(first)) else { return nil }
    let parts = requestLine.split(separator: " ", maxSplits: 1)
    guard parts.count == 2 else { return nil }
    let target = parts[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
    var headers: [(String, String)] = []
    for line in lines.dropFirst() {
        guard let text = text(Array(line)), let colon = text.firstIndex(of: ":") else { continue }
        headers.append((String(text[..<colon]), text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
    }
    return HTTPRequest(
        method: String(parts[0]),
        path: String(target[0]),
        queryString: target.count > 1 ? String(target[1]) : "",
        headers: HTTPHeaders(headers),
        body: Array(input[at...]),
        remoteAddress: "127.0.0.1:50000",
        bodyTooLarge: input.count > 64 * 1024
    )
}

final class Box: @unchecked Sendable {  // written once before the semaphore is signalled, read after
    var response: HTTPResponse?
}

/// The answer to `request`, awaited on the fuzzer's thread.
func answer(_ request: HTTPRequest) -> HTTPResponse? {
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.response = await respond(app, to: request)
        done.signal()
    }
    return done.wait(timeout: .now() + 10) == .success ? box.response : nil
}

/// Once, before the first input: a valid token vends, so fuzzed requests can reach STS.
let wiredUp: Bool = {
    let post = request(Array("POST /v1/credentials\n\n{\"access_token\":\"@TOKEN@\"}".utf8))!
    check(answer(post)?.status == 200, "the harness's own valid request is not answered 200")
    return true
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    _ = wiredUp
    guard let request = request(bytes(start, count)) else { return 0 }
    guard let response = answer(request) else {
        check(false, "no answer in 10 s to \(request.method) \(request.path)")
        return 0
    }
    check(allowed.contains(response.status), "status \(response.status) for \(request.method) \(request.path)")
    if response.status == 200 && request.path == "/v1/credentials" {
        check(CredentialProcessOutput.parse(response.body) != nil, "a 200 from /v1/credentials without credentials")
    }
    return 0
}

@_cdecl("FuzzHandler_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { fuzz($0, $1) }
}
