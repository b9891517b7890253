import CredVendCore
import CredVendTesting
import Foundation
import FuzzSupport

// JWT verification from raw bytes. The first byte picks a mode:
//   0: the rest is a token, checked against the test issuer's JWKS;
//   1: the rest is a JWKS document, a newline, then a token checked against it;
//   2: the rest is a claims payload, signed here with the test EC key, then verified
//      (the only way fuzzed claims get past the signature check).
// A token that verifies must have claims consistent with its payload.
let issuer = TestKeys.issuer
let now = Date(timeIntervalSince1970: 1_800_000_000)
let verifier = JWTVerifier(issuer: issuer, clockSkew: 60, requiredScopes: ["credvend/vend"])
let testKeys = JWKSet([try! TestKeys.rsaSigner.publicJWK(), try! TestKeys.ecSigner.publicJWK()])
let ecHeader = JSONValue.object(["alg": "ES256", "kid": .string(TestKeys.ecSigner.kid)]).serialized()

func checkConsistent(_ token: VerifiedToken, payload: [UInt8]) {
    guard let claims = (try? JSONParser.parse(payload))?.objectValue else {
        check(false, "a verified token's payload does not parse")
        return
    }
    check(claims["iss"]?.stringValue == issuer, "verified token has another issuer")
    check(claims["token_use"]?.stringValue == "access", "verified token is not an access token")
    check(!token.clientId.isEmpty && claims["client_id"]?.stringValue == token.clientId, "client_id differs")
    check(token.scopes.contains("credvend/vend"), "verified token lacks the required scope")
    check(token.scopes.allSatisfy { !$0.isEmpty && !$0.contains(" ") }, "a scope is empty or has a space")
    check(claims["exp"]?.numberValue.map { $0 + 60 > now.timeIntervalSince1970 } == true, "expired token verified")
    check(token.exp.timeIntervalSince1970 == claims["exp"]?.numberValue, "exp differs")
    if let iat = token.iat { check(iat.timeIntervalSince1970 <= now.timeIntervalSince1970 + 60, "iat in the future") }
    check(token.jti == claims["jti"]?.stringValue && token.sub == claims["sub"]?.stringValue, "jti or sub differs")
}

func payload(of token: ArraySlice<UInt8>) -> [UInt8]? {
    let parts = token.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
    guard parts.count == 3 else { return nil }
    return Base64URL.decode(bytes: parts[1])
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = bytes(start, count)
    guard let mode = input.first else { return 0 }
    let rest = input.dropFirst()
    switch mode % 3 {
    case 0:
        if let token = try? verifier.verify(tokenSlice: rest, keys: testKeys, now: now) {
            checkConsistent(token, payload: payload(of: rest) ?? [])
        }
    case 1:
        let newline = rest.firstIndex(of: UInt8(ascii: "\n")) ?? rest.endIndex
        guard let keys = try? JWKSet(jwks: Array(rest[..<newline])) else { return 0 }
        let token = newline < rest.endIndex ? rest[(newline + 1)...] : []
        if let verified = try? verifier.verify(tokenSlice: token, keys: keys, now: now) {
            checkConsistent(verified, payload: payload(of: token) ?? [])
        }
    default:
        let claims = Array(rest)
        guard let token = try? JWTSigner.compact(header: ecHeader, payload: claims, key: TestKeys.ec, algorithm: .ES256)
        else { return 0 }
        var memo: JWTHeaderMemo? = nil
        let first = try? verifier.verify(
            tokenSlice: Array(token.utf8)[...],
            keys: testKeys,
            now: now,
            headerMemo: &memo
        )
        let second = try? verifier.verify(
            tokenSlice: Array(token.utf8)[...],
            keys: testKeys,
            now: now,
            headerMemo: &memo
        )
        check(first == second, "the header memo changed the outcome")
        if let first { checkConsistent(first, payload: claims) }
    }
    return 0
}

@_cdecl("FuzzJWT_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { fuzz($0, $1) }
}
