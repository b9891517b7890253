import Testing
@testable import CredVendCore

@Suite struct TokenExtractorTests {
    func extract(_ body: String, _ auth: String? = nil) -> Result<String, APIError> {
        TokenExtractor.token(body: Array(body.utf8), authorization: auth)
    }

    @Test func bodyToken() throws {
        #expect(try extract(#"{"access_token":"a.b.c"}"#).get() == "a.b.c")
    }

    @Test func bearerHeaderWithEmptyBody() throws {
        #expect(try extract("", "Bearer a.b.c").get() == "a.b.c")
        #expect(try extract("  \n", "bearer   a.b.c").get() == "a.b.c")
    }

    @Test(arguments: [
        ("", nil), ("{not json", nil), ("[]", nil), ("{}", nil), (#"{"access_token":5}"#, nil),
        (#"{"access_token":""}"#, nil), ("", "Basic abc"), ("", "Bearer"), (#"{"access_token":"a.b.c"}"#, "Bearer a.b.c"),
    ] as [(String, String?)])
    func refusals(body: String, auth: String?) {
        guard case .failure(let e) = extract(body, auth) else {
            Issue.record("accepted \(body) / \(auth ?? "-")")
            return
        }
        #expect(e.status == 400 && e.code == "invalid_request")
        #expect(!e.message.contains("a.b.c"))
    }
}
