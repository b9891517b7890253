import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendSync

@Suite struct TESHandlerTests {
    let token = "tes-token-0123456789abcdef"
    let creds = AWSCredentials(
        accessKeyId: "ASIAEXAMPLE",
        secretAccessKey: "secret",
        sessionToken: "session",
        expiration: Date(timeIntervalSince1970: 1_800_000_000)
    )

    func respond(
        _ handler: TESHandler,
        _ path: String = TESHandler.credentialsPath,
        method: String = "GET",
        authorization: String? = nil
    ) -> HTTPResponse {
        var headers = HTTPHeaders()
        if let authorization { headers.add("Authorization", authorization) }
        guard case .respond(let response) = handler.handle(HTTPRequest(method: method, path: path, headers: headers))
        else {
            Issue.record("the TES handler deferred")
            return HTTPResponse(status: 0)
        }
        return response
    }

    func json(_ response: HTTPResponse) -> [String: String] {
        (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: String] ?? [:]
    }

    @Test func servesContainerCredentialsToTheTokenHolder() throws {
        let handler = TESHandler(token: TESAuthToken(token: token), serving: { .credentials(creds) })
        for path in [TESHandler.credentialsPath, "/2016-11-01/credentialprovider"] {
            let response = respond(handler, path, authorization: token)
            #expect(response.status == 200)
            #expect(response.headers["Cache-Control"] == "no-store")
            #expect(
                json(response) == [
                    "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret", "Token": "session",
                    "Expiration": "2027-01-15T08:00:00Z",
                ]
            )
            #expect(ContainerCredentials.parse(response.body) == creds)
        }
    }

    @Test func missingTokenIs401WrongTokenIs403() {
        let handler = TESHandler(token: TESAuthToken(token: token), serving: { .credentials(creds) })
        let missing = respond(handler)
        #expect(missing.status == 401)
        #expect(json(missing)["code"] == "unauthorized")
        #expect(json(missing)["error"] == nil)
        #expect(respond(handler, authorization: "").status == 401)
        for wrong in ["nope", token + "x", String(token.dropLast()), "Bearer \(token)", token.uppercased()] {
            let response = respond(handler, authorization: wrong)
            #expect(response.status == 403, "\(wrong)")
            #expect(json(response)["code"] == "access_denied")
            #expect(!String(decoding: response.body, as: UTF8.self).contains(token))
        }
    }

    @Test func unavailableIs503WithTheReason() {
        let handler = TESHandler(
            token: TESAuthToken(token: token),
            serving: { .unavailable(reason: "the credentials expired") }
        )
        let response = respond(handler, authorization: token)
        #expect(response.status == 503)
        #expect(response.headers["Retry-After"] != nil)
        #expect(json(response) == ["code": "unavailable", "message": "the credentials expired"])
        // The token is checked first: no state leaks to a caller without it.
        #expect(respond(handler).status == 401)
    }

    @Test func healthzFollowsTheCredentials() {
        let state = Locked<TESServing>(.credentials(creds))
        let handler = TESHandler(token: TESAuthToken(token: token), serving: { state.withLock { $0 } })
        let ok = respond(handler, "/healthz")
        #expect(ok.status == 200)
        #expect(json(ok) == ["status": "ok", "expiration": "2027-01-15T08:00:00Z"])
        #expect(!String(decoding: ok.body, as: UTF8.self).contains("secret"))
        state.withLock { $0 = .unavailable(reason: "no credentials yet") }
        let down = respond(handler, "/healthz")
        #expect(down.status == 503)
        #expect(json(down) == ["status": "unavailable", "message": "no credentials yet"])
    }

    @Test func otherRoutes() {
        let handler = TESHandler(token: TESAuthToken(token: token), serving: { .credentials(creds) })
        #expect(respond(handler, "/", authorization: token).status == 404)
        let missing = respond(handler, "/latest/meta-data/", authorization: token)
        #expect(missing.status == 404)
        #expect(json(missing) == ["code": "not_found", "message": "no such endpoint"])
        let post = respond(handler, method: "POST", authorization: token)
        #expect(post.status == 405)
        #expect(json(post)["code"] == "method_not_allowed")
        #expect(post.headers["Allow"] == "GET")
        #expect(respond(handler, "/healthz", method: "DELETE").status == 405)
    }
}
