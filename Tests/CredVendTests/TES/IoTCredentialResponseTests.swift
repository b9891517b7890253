import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

@Suite struct IoTCredentialResponseTests {
    let context = IoTCredentialResponse.Context(
        endpoint: "https://abc.credentials.iot.us-east-1.amazonaws.com",
        roleAlias: "device-role-alias",
        thingName: "thing-01"
    )

    func parse(_ status: Int, _ body: String, errorType: String? = nil) -> Result<AWSCredentials, IoTCredentialError> {
        IoTCredentialResponse.parse(status: status, errorType: errorType, body: Array(body.utf8), context: context)
    }

    func failure(_ result: Result<AWSCredentials, IoTCredentialError>) -> IoTCredentialError? {
        if case .failure(let e) = result { return e }
        return nil
    }

    @Test func successBody() throws {
        let body =
            #"{"credentials":{"accessKeyId":"ASIAEXAMPLE","secretAccessKey":"s3cr3t","sessionToken":"tok","expiration":"2026-11-24T23:31:37Z"}}"#
        let creds = try parse(200, body).get()
        #expect(creds.accessKeyId == "ASIAEXAMPLE")
        #expect(creds.secretAccessKey == "s3cr3t")
        #expect(creds.sessionToken == "tok")
        #expect(creds.expiration.map(ISO8601.string) == "2026-11-24T23:31:37Z")
    }

    @Test func fractionalSecondsAndOffsetsInExpiration() throws {
        let body =
            #"{"credentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":"2026-11-24T23:31:37.123+01:00"}}"#
        #expect(try parse(200, body).get().expiration.map(ISO8601.string) == "2026-11-24T22:31:37Z")
    }

    @Test func malformedSuccessBodiesAreBadResponses() {
        for body in [
            "", "not json", "{}", #"{"credentials":"x"}"#,
            #"{"credentials":{"accessKeyId":"A","secretAccessKey":"S","expiration":"2026-11-24T23:31:37Z"}}"#,
            #"{"credentials":{"accessKeyId":"A","secretAccessKey":"","sessionToken":"T","expiration":"2026-11-24T23:31:37Z"}}"#,
            #"{"credentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":"tomorrow"}}"#,
        ] {
            let error = failure(parse(200, body))
            #expect(error?.code == .badResponse, "\(body)")
            #expect(error?.needsOperator == false)
        }
        #expect(
            failure(parse(200, #"{"credentials":{"accessKeyId":"A"}}"#))?.message.contains(
                "secretAccessKey, sessionToken, expiration"
            ) == true
        )
    }

    @Test func forbiddenNamesWhatToCheck() throws {
        let error = try #require(
            failure(parse(403, #"{"message":"Access Denied"}"#, errorType: "AccessDeniedException"))
        )
        #expect(error.code == .forbidden)
        #expect(error.httpStatus == 403)
        #expect(error.needsOperator)
        #expect(error.message.contains("answered 403 (\"AccessDeniedException: Access Denied\")"))
        #expect(error.message.contains("ACTIVE"))
        #expect(error.message.contains("attached to thing thing-01"))
        #expect(error.message.contains("iot:AssumeRoleWithCertificate on role alias device-role-alias"))
    }

    @Test func notFoundNamesTheRoleAlias() throws {
        let error = try #require(failure(parse(404, #"{"message":"Role alias does not exist"}"#)))
        #expect(error.code == .notFound)
        #expect(error.needsOperator)
        #expect(error.message.contains("\"Role alias does not exist\""))
        #expect(error.message.contains("role alias device-role-alias exists"))
    }

    @Test func otherStatuses() {
        #expect(failure(parse(400, #"{"message":"Invalid thing name passed"}"#))?.code == .badRequest)
        #expect(failure(parse(400, "{}"))?.message.contains("--thing-name thing-01") == true)
        #expect(failure(parse(401, ""))?.code == .unauthorized)
        #expect(failure(parse(429, ""))?.code == .throttled)
        #expect(failure(parse(429, ""))?.needsOperator == false)
        #expect(failure(parse(500, "<html>"))?.code == .providerError)
        #expect(failure(parse(503, ""))?.needsOperator == false)
    }

    @Test func providerTextIsCappedAndPrintable() throws {
        let long = String(repeating: "x", count: 500)
        let error = try #require(failure(parse(403, "{\"message\":\"line\\r\\ninjected \(long)\"}")))
        #expect(!error.message.contains("\n") && !error.message.contains("\r"))
        #expect(error.message.contains("lineinjected x"))
        #expect(!error.message.contains(String(repeating: "x", count: 200)))
    }

    @Test func transportErrors() {
        let tls = IoTCredentialClient.transportError(
            CurlError(kind: .tls, code: 60, message: "SSL certificate problem"),
            endpoint: "https://e"
        )
        #expect(tls.code == .tls && tls.needsOperator)
        #expect(tls.message.contains("--rootca"))
        let down = IoTCredentialClient.transportError(
            CurlError(kind: .couldNotConnect, code: 7, message: "refused"),
            endpoint: "https://e"
        )
        #expect(down.code == .network && !down.needsOperator)
        #expect(
            IoTCredentialClient.transportError(CurlError(kind: .timeout, code: 28, message: "t"), endpoint: "e").code
                == .network
        )
    }
}
