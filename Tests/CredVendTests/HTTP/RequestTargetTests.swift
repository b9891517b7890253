import Testing

@testable import CredVendCore

/// The path routing sees is decoded from the target as sent, so a `%00` or `%0A` stays in it.
@Suite struct RequestTargetTests {
    @Test func thePathIsThePartBeforeTheQuery() {
        #expect(RequestTarget.path("/v1/credentials") == "/v1/credentials")
        #expect(RequestTarget.path("/admin/v1/logs?lines=3") == "/admin/v1/logs")
        #expect(RequestTarget.path("") == "")
    }

    @Test func escapesDecodeAsLibmicrohttpdDecodesThem() {
        #expect(RequestTarget.path("/admin/v1/roles/a%2Fb%20c+d") == "/admin/v1/roles/a/b c+d")
        #expect(RequestTarget.path("/heal%74hz?x=%41") == "/healthz")
        #expect(RequestTarget.path("/a%3fb") == "/a?b")  // a decoded "?" is part of the path
        #expect(RequestTarget.path("/bad%zz%4") == "/bad%zz%4")  // malformed: kept as written
        #expect(RequestTarget.path("/%c3%a9") == "/\u{E9}")
        #expect(RequestTarget.path("/%ff") == "/\u{FFFD}")
    }

    @Test func aNulOrNewlineStaysInThePath() {
        #expect(RequestTarget.path("/healthz%00.json") == "/healthz\u{0}.json")
        #expect(RequestTarget.path("/v1/credentials%0Aforged") == "/v1/credentials\nforged")
        #expect(RequestTarget.path("/healthz%00") != "/healthz")
    }
}
