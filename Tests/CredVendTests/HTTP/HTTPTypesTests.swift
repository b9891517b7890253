import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendSync

@Suite struct HTTPTypesTests {
    @Test func headersAreCaseInsensitiveAndOrdered() {
        var headers: HTTPHeaders = ["Content-Type": "application/json", "X-A": "1"]
        headers.add("x-a", "2")
        #expect(headers["content-type"] == "application/json")
        #expect(headers["X-A"] == "1")
        #expect(headers.values(for: "X-a") == ["1", "2"])
        headers.set("X-A", "3")
        #expect(headers.values(for: "x-a") == ["3"])
        headers.remove("CONTENT-TYPE")
        #expect(headers["content-type"] == nil)
        #expect(headers.count == 1)
        #expect(HTTPHeaders.sameName("X-Amz-Date", "x-amz-date"))
        #expect(!HTTPHeaders.sameName("X-Amz-Date", "x-amz-datf"))
        #expect(!HTTPHeaders.sameName("a", "ab"))
        #expect(!HTTPHeaders.sameName("[", "{"))  // only letters fold
    }

    @Test func queryDecoding() {
        let request = HTTPRequest(
            method: "GET",
            path: "/",
            queryString: "lines=20&q=a+b%2Fc&q=second&flag&bad=%zz&utf=%C3%A9"
        )
        #expect(request.query["lines"] == "20")
        #expect(request.query["q"] == "a b/c")
        #expect(request.query["flag"] == "")
        #expect(request.query["bad"] == "%zz")
        #expect(request.query["utf"] == "é")
        #expect(request.queryItems.filter { $0.name == "q" }.map(\.value) == ["a b/c", "second"])
        #expect(HTTPRequest(method: "GET", path: "/").query.isEmpty)
        #expect(QueryString.decode("%4") == "%4")
    }

    @Test func jsonResponses() throws {
        let error = HTTPResponse.error(
            status: 401,
            code: "invalid_token",
            message: "the token has expired",
            headers: ["WWW-Authenticate": #"Bearer error="invalid_token""#]
        )
        #expect(error.status == 401)
        #expect(error.headers["content-type"] == "application/json")
        #expect(error.headers["www-authenticate"] == #"Bearer error="invalid_token""#)
        #expect(
            String(decoding: error.body, as: UTF8.self)
                == #"{"error":"invalid_token","message":"the token has expired"}"#
        )

        struct Health: Encodable { let status: String }
        let health = HTTPResponse.json(Health(status: "ok"))
        #expect(health.status == 200)
        #expect(String(decoding: health.body, as: UTF8.self) == #"{"status":"ok"}"#)
        #expect(HTTPResponse.payloadTooLarge(limit: 16384).status == 413)
    }

    @Test func responderAnswersOnceAndADroppedOneAnswers500() {
        let answers = Locked<[Int]>([])
        do {
            let responder = HTTPResponder { response in answers.withLock { $0.append(response.status) } }
            responder.respond(HTTPResponse(status: 201))
            responder.respond(HTTPResponse(status: 202))
        }
        do {
            _ = HTTPResponder { response in answers.withLock { $0.append(response.status) } }
        }
        #expect(answers.withLock { $0 } == [201, 500])
    }

    @Test func listenAddressDescriptions() {
        #expect(HTTPListenAddress.tcp(host: "127.0.0.1", port: 8080).description == "127.0.0.1:8080")
        #expect(HTTPListenAddress.tcp(host: "::1", port: 80).description == "[::1]:80")
        #expect(HTTPListenAddress.unix(path: "/run/credvend.sock").description == "unix:/run/credvend.sock")
    }
}
