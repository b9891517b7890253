import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendStore

@Suite struct STSResponseParserTests {
    func parse(
        _ text: String,
        status: Int = 200,
        action: STSAction = .assumeRole,
        redacting: [String] = []
    ) throws(STSError) -> AssumedRole {
        try STSResponseParser.parse(Array(text.utf8), httpStatus: status, action: action, redacting: redacting)
    }

    func error(_ body: () throws(STSError) -> AssumedRole) -> STSError? {
        do {
            _ = try body()
            return nil
        } catch { return error }
    }

    @Test func awsDocsAssumeRole() throws {
        let role = try STSResponseParser.parse(
            try STSFixtures.bytes("aws-docs-assume-role.xml"),
            httpStatus: 200,
            action: .assumeRole
        )
        #expect(role.credentials.accessKeyId == "ASIAIOSFODNN7EXAMPLE")
        #expect(role.credentials.secretAccessKey == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY")
        // The docs wrap the token over five lines; the lines are joined.
        #expect(
            role.credentials.sessionToken == "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW"
                + "LWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGd"
                + "QrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU"
                + "9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz"
                + "+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
        )
        #expect(role.credentials.expiration == Date(timeIntervalSince1970: 1_573_306_481))  // 2019-11-09T13:34:41Z
        #expect(role.assumedRoleArn == "arn:aws:sts::123456789012:assumed-role/demo/TestAR")
        #expect(role.requestId == "c6104cbe-af31-11e0-8154-cbc7ccf896c7")
    }

    @Test func awsDocsAssumeRoleWithWebIdentity() throws {
        let role = try STSResponseParser.parse(
            try STSFixtures.bytes("aws-docs-assume-role-with-web-identity.xml"),
            httpStatus: 200,
            action: .assumeRoleWithWebIdentity
        )
        #expect(
            role.credentials
                == AWSCredentials(
                    accessKeyId: "ASgeIAIOSFODNN7EXAMPLE",
                    secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
                    sessionToken: "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE",
                    expiration: Date(timeIntervalSince1970: 1_414_191_623)
                )
        )  // 2014-10-24T23:00:23Z
        #expect(role.assumedRoleArn == "arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1")
    }

    @Test func motoResponsesWithMicrosecondExpiration() throws {
        let role = try STSResponseParser.parse(
            try STSFixtures.bytes("moto-assume-role.xml"),
            httpStatus: 200,
            action: .assumeRole
        )
        #expect(role.credentials.accessKeyId == "ASIARZPUZDIKOVVJQX6Q")
        #expect(role.credentials.secretAccessKey == "En594bRI0WixNNMWXVQ91jwVDk46P/O3H8itKyeg")
        #expect(role.credentials.sessionToken?.hasPrefix("FQoGZXIvYXdzEBYaDGD8ATc4zjX4ZsFfQ5af8wc4") == true)
        #expect(role.credentials.sessionToken?.hasSuffix("rxQF3DT7Z5Uo=") == true)
        // 2026-11-30T02:06:56.306449Z
        let expected = Date(timeIntervalSince1970: 1_796_004_416.306449)
        #expect(abs(role.credentials.expiration!.timeIntervalSince(expected)) < 0.001)
        #expect(role.assumedRoleArn == "arn:aws:sts::123456789012:assumed-role/demo/credvend-x")

        let web = try STSResponseParser.parse(
            try STSFixtures.bytes("moto-assume-role-with-web-identity.xml"),
            httpStatus: 200,
            action: .assumeRoleWithWebIdentity
        )
        #expect(web.credentials.accessKeyId == "ASIARZPUZDIKDKPCRZZ7")
    }

    @Test func wrongDocumentForTheAction() throws {
        let body = try STSFixtures.bytes("moto-assume-role.xml")
        let err = error { () throws(STSError) in
            try STSResponseParser.parse(body, httpStatus: 200, action: .assumeRoleWithWebIdentity)
        }
        #expect(err?.code == "MalformedResponse")
        #expect(err?.message == "expected <AssumeRoleWithWebIdentityResponse>, got <AssumeRoleResponse>")
    }

    @Test func awsErrorDocuments() throws {
        let denied = error { () throws(STSError) in
            try STSResponseParser.parse(
                try! STSFixtures.bytes("aws-error-access-denied.xml"),
                httpStatus: 403,
                action: .assumeRole
            )
        }
        #expect(denied?.code == "AccessDenied")
        #expect(denied?.httpStatus == 403)
        #expect(denied?.requestId == "4a7bd7f1-4a6e-4f0a-9d0b-2c5e8c1f0e11")
        #expect(denied?.message.hasPrefix("User: arn:aws:iam::123456789012:user/credvend is not authorized") == true)
        #expect(denied?.isRetryable == false)

        let throttled = error { () throws(STSError) in
            try STSResponseParser.parse(
                try! STSFixtures.bytes("aws-error-throttling.xml"),
                httpStatus: 400,
                action: .assumeRole
            )
        }
        #expect(throttled?.code == "Throttling")
        #expect(throttled?.message == "Rate exceeded")
        #expect(throttled?.isRetryable == true)
        #expect(
            throttled?.description
                == "STS Throttling (HTTP 400, request 8f1f9c3e-1b0e-4a57-b5b4-2f6ad1c8f0a2): Rate exceeded"
        )
    }

    @Test func motoErrorDocument() throws {
        let err = error { () throws(STSError) in
            try STSResponseParser.parse(
                try! STSFixtures.bytes("moto-error-invalid-client-token-id.xml"),
                httpStatus: 403,
                action: .assumeRole
            )
        }
        #expect(err?.code == "InvalidClientTokenId")
        #expect(err?.message == "The security token included in the request is invalid.")
        #expect(err?.requestId == nil)
    }

    @Test func ec2StyleErrorDocument() {
        let err = error { () throws(STSError) in
            try parse(
                """
                <Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>\
                </Error></Errors><RequestID>5ad7e5a4-fe7b-4b3b-8c54-0f8e3b4b1f3d</RequestID></Response>
                """,
                status: 503
            )
        }
        #expect(err?.code == "RequestLimitExceeded")
        #expect(err?.requestId == "5ad7e5a4-fe7b-4b3b-8c54-0f8e3b4b1f3d")
        #expect(err?.isRetryable == true)
    }

    @Test func errorDocumentWithStatus200IsStillAnError() {
        let err = error { () throws(STSError) in
            try parse(
                "<ErrorResponse><Error><Code>ExpiredToken</Code><Message>expired</Message></Error></ErrorResponse>"
            )
        }
        #expect(err?.code == "ExpiredToken")
        #expect(err?.httpStatus == 200)
    }

    @Test func entitiesInErrorMessagesAreDecoded() {
        let err = error { () throws(STSError) in
            try parse(
                """
                <ErrorResponse><Error><Code>ValidationError</Code>\
                <Message>Value &apos;a&lt;b&amp;c&apos; at &quot;roleArn&quot; &#8212; bad&#x21;</Message>\
                </Error></ErrorResponse>
                """,
                status: 400
            )
        }
        #expect(err?.message == "Value 'a<b&c' at \"roleArn\" — bad!")
    }

    @Test func nonXMLErrorBodies() {
        let html = error { () throws(STSError) in
            try parse("<html><body><h1>502 Bad Gateway</h1></body></html>", status: 502)
        }
        #expect(html?.code == "MalformedResponse")
        #expect(html?.message == "STS answered HTTP 502 with <html>, not an error document")
        #expect(html?.isRetryable == true)

        let garbage = error { () throws(STSError) in try parse("upstream connect error", status: 503) }
        #expect(garbage?.code == "MalformedResponse")
        #expect(garbage?.isRetryable == true)
        #expect(garbage?.message.hasPrefix("STS HTTP 503 response is not a readable XML document: ") == true)

        let empty200 = error { () throws(STSError) in try parse("", status: 200) }
        #expect(empty200?.message == "STS response is not a readable XML document: empty document (at byte 0)")
        #expect(empty200?.isRetryable == false)
    }

    /// A cut success response: a clear error, and no part of the secret or the
    /// session token in it, wherever the cut falls.
    @Test func truncatedSuccessNeverLeaksASecret() throws {
        let full = try STSFixtures.bytes("moto-assume-role.xml")
        let role = try STSResponseParser.parse(full, httpStatus: 200, action: .assumeRole)
        let secret = role.credentials.secretAccessKey
        let token = role.credentials.sessionToken!
        for length in stride(from: 0, to: full.count, by: 1) {
            let err = error { () throws(STSError) in
                try STSResponseParser.parse(Array(full.prefix(length)), httpStatus: 200, action: .assumeRole)
            }
            guard let err else {
                Issue.record("prefix of \(length) bytes accepted")
                continue
            }
            #expect(err.code == "MalformedResponse")
            for piece in [secret, token, String(secret.prefix(8)), String(token.prefix(12))] {
                #expect(!err.description.contains(piece), "prefix \(length): \(err.description)")
            }
        }
        let cut = error { () throws(STSError) in
            try STSResponseParser.parse(Array(full.prefix(400)), httpStatus: 200, action: .assumeRole)
        }
        #expect(cut?.message.hasSuffix("unexpected end of document inside <SessionToken> (at byte 400)") == true)
    }

    @Test(arguments: [
        ("<AssumeRoleResponse/>", "<AssumeRoleResponse> has no <AssumeRoleResult>"),
        ("<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>", "<AssumeRoleResult> has no <Credentials>"),
        (STSResponseParserTests.document(accessKey: ""), "<AccessKeyId> is empty"),
        (STSResponseParserTests.document(accessKey: "AKIA\u{7}X"), "control character in text"),
        (
            STSResponseParserTests.document(accessKey: "AKIA&#x7F;"),
            "<AccessKeyId> holds characters a credential cannot have"
        ),
        (
            STSResponseParserTests.document(accessKey: "AKIA\u{E9}"),
            "<AccessKeyId> holds characters a credential cannot have"
        ),
        (STSResponseParserTests.document(expiration: "tomorrow"), "<Expiration> is not an ISO 8601 timestamp"),
        (
            STSResponseParserTests.document(extraCredentials: "<AccessKeyId>B</AccessKeyId>"),
            "<Credentials> has more than one <AccessKeyId>"
        ),
        (STSResponseParserTests.document(arn: nil), "<AssumedRoleUser> has no <Arn>"),
        ("<ErrorResponse><Error><Message>m</Message></Error></ErrorResponse>", "<Error> has no <Code>"),
        ("<ErrorResponse></ErrorResponse>", "<ErrorResponse> has no <Error>"),
    ])
    func strictExtraction(xml: String, message: String) {
        let err = error { () throws(STSError) in try parse(xml) }
        #expect(err?.code == "MalformedResponse")
        #expect(err?.message.contains(message) == true, "\(String(describing: err?.message))")
    }

    @Test func whitespaceAroundAndInsideCredentialsIsDropped() throws {
        let role = try parse(Self.document(accessKey: "\n   ASIA\r\n  EXAMPLE\t "))
        #expect(role.credentials.accessKeyId == "ASIAEXAMPLE")
    }

    static func document(
        accessKey: String = "ASIAEXAMPLE",
        expiration: String = "2026-11-24T23:31:37Z",
        extraCredentials: String = "",
        arn: String? = "arn:aws:sts::1:assumed-role/r/s"
    ) -> String {
        """
        <AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>\(accessKey)</AccessKeyId>\
        <SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken>\
        <Expiration>\(expiration)</Expiration>\(extraCredentials)</Credentials>\
        <AssumedRoleUser>\(arn.map { "<Arn>\($0)</Arn>" } ?? "")</AssumedRoleUser>\
        </AssumeRoleResult></AssumeRoleResponse>
        """
    }
}

@Suite struct STSErrorTests {
    @Test(arguments: [
        ("Throttling", 400, true), ("ThrottlingException", 400, true), ("RequestLimitExceeded", 400, true),
        ("IDPCommunicationError", 400, true), ("InternalFailure", 500, true), ("ServiceUnavailable", 503, true),
        ("MalformedResponse", 502, true), ("MalformedResponse", 200, false), ("Anything", 429, true),
        ("AccessDenied", 403, false), ("ExpiredToken", 400, false), ("InvalidIdentityToken", 400, false),
        ("ValidationError", 400, false), ("RegionDisabledException", 403, false),
    ])
    func retryable(code: String, status: Int, expected: Bool) {
        #expect(STSError(code: code, message: "m", httpStatus: status).isRetryable == expected)
    }

    @Test func networkErrorsAreRetryable() {
        let err = STSError.network("connection refused by 127.0.0.1:4566")
        #expect(err.isRetryable)
        #expect(err.httpStatus == nil)
        #expect(err.description == "STS NetworkError: connection refused by 127.0.0.1:4566")
    }

    @Test func messagesAreRedactedOneLineAndBounded() {
        let token = "eyJraWQiOiJkdW1teSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
        let err = STSError(
            code: "ValidationError",
            message: "Value '\(token)' at 'webIdentityToken'\nfailed\r\nto satisfy constraint",
            httpStatus: 400,
            redacting: [token, ""]
        )
        #expect(err.message == "Value '<redacted>' at 'webIdentityToken' failed  to satisfy constraint")
        #expect(!err.description.contains(token))

        let long = STSError(code: "X", message: String(repeating: "a", count: 1_000), httpStatus: 400)
        #expect(long.message.count == STSError.maxMessageLength)
        #expect(long.message.hasSuffix("…"))
    }

    @Test func comparedByCode() {
        #expect(
            STSError(code: "Throttling", message: "a", httpStatus: 400)
                == STSError(code: "Throttling", message: "b", httpStatus: 503)
        )
        #expect(
            STSError(code: "Throttling", message: "a", httpStatus: 400)
                != STSError(code: "AccessDenied", message: "a", httpStatus: 400)
        )
    }
}
