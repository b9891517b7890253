import CredVendCrypto
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// One percent-coding for SigV4, STS bodies, OAuth client authentication and query strings.
@Suite struct FormURLEncodingTests {
    static let awkward = "a b+c/d:e=f&g~h%é"

    @Test func stsBodiesUseTheSigV4UnreservedSet() {
        let encoded = "a%20b%2Bc%2Fd%3Ae%3Df%26g~h%25%C3%A9"
        #expect(PercentEncoding.encode(Self.awkward) == encoded)
        #expect(FormURLEncoding.encode([("RoleSessionName", Self.awkward)]) == "RoleSessionName=\(encoded)")
        #expect(FormURLEncoding.parse(Array("RoleSessionName=\(encoded)".utf8)) == ["RoleSessionName": Self.awkward])
    }

    /// Exactly RFC 3986's unreserved set is kept, checked byte by byte.
    @Test func everyByteIsEscapedUnlessUnreserved() {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(PercentEncoding.isUnreserved(byte) == unreserved.contains(byte), "\(byte)")
            var out: [UInt8] = []
            PercentEncoding.append(String(decoding: [byte], as: UTF8.self), to: &out)
            if byte < 0x80 {
                let expected = unreserved.contains(byte) ? [byte] : Array(String(format: "%%%02X", byte).utf8)
                #expect(out == expected, "\(byte)")
            }
        }
    }

    @Test func decodingTakesPlusAsASpaceAndRefusesBadEscapes() {
        #expect(FormURLEncoding.decode(ArraySlice("a+b%20c%2b".utf8)) == "a b c+")
        #expect(FormURLEncoding.decode(ArraySlice("%C3".utf8)) == nil)  // not UTF-8
        #expect(FormURLEncoding.parse(Array("k=first&k=second".utf8)) == ["k": "first"])
        #expect(QueryString.decode("a+b%2F%zz") == "a+b%2F%zz")  // kept as written
        #expect(QueryString.decode("a+b%2F") == "a b/")
    }

    @Test func oauthBasicCredentialsRoundTripThroughTheDevIdP() throws {
        let settings = ClientSettings(
            idpType: .cognito,
            domain: "http://127.0.0.1:9",
            clientId: Self.awkward,
            clientSecret: "s3cret/+ =é",
            scope: "write"
        )
        let idp = DevIdentityProvider(
            minter: try TokenMinter(key: SigningKey.generateRSA(bits: 2048)),
            clients: [
                .init(clientId: settings.clientId, clientSecret: settings.clientSecret, scopes: ["write"])
            ]
        )
        let r = OAuthTokenExchange.request(settings)
        let request = HTTPRequest(
            method: r.method,
            path: "/oauth2/token",
            headers: HTTPHeaders(r.headers),
            body: r.body
        )
        guard case .respond(let response) = idp.handle(request) else {
            Issue.record("the dev IdP did not answer at once")
            return
        }
        #expect(response.status == 200)
    }
}
