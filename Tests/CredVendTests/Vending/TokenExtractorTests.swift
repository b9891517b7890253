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

    @Test(
        arguments: [
            ("", nil), ("{not json", nil), ("[]", nil), ("{}", nil), (#"{"access_token":5}"#, nil),
            (#"{"access_token":""}"#, nil), (#"{"access_token":"a.b.c","access_token":"a.b.d"}"#, nil),
            (#"{"access_token":"a.b.c","x":1,"x":2}"#, nil), ("", "Basic abc"), ("", "Bearer"),
            (#"{"access_token":"a.b.c"}"#, "Bearer a.b.c"),
        ] as [(String, String?)]
    )
    func refusals(body: String, auth: String?) {
        guard case .failure(let e) = extract(body, auth) else {
            Issue.record("accepted \(body) / \(auth ?? "-")")
            return
        }
        #expect(e.status == 400 && e.code == "invalid_request")
        #expect(!e.message.contains("a.b.c"))
    }

    @Test(arguments: [
        ("{not json", "request body must be a JSON object like {\"access_token\": \"<JWT>\"}"),
        ("[\"a.b.c\"]", "request body must be a JSON object like {\"access_token\": \"<JWT>\"}"),
        (
            #"{"access_token":"a.b.c","access_token":"a.b.c"}"#,
            "request body must be a JSON object like {\"access_token\": \"<JWT>\"}"
        ),
        (#"{"other":1}"#, "request body has no \"access_token\" field"),
        (#"{"access_token":["a.b.c"]}"#, "\"access_token\" must be a non-empty string"),
        (#"{"access_token":null}"#, "\"access_token\" must be a non-empty string"),
    ])
    func fallbackMessages(body: String, message: String) {
        guard case .failure(let e) = extract(body) else {
            Issue.record("accepted \(body)")
            return
        }
        #expect(e.status == 400 && e.code == "invalid_request" && e.message == message)
    }

    @Test func escapedTokenGoesThroughTheParser() throws {
        #expect(try extract(#"{ "x": 1, "access_token": "a.b\u002Ec" }"#).get() == "a.b.c")
        #expect(try extract(#"{"other":1}"#, "Bearer a.b.c").get() == "a.b.c")
    }
}
