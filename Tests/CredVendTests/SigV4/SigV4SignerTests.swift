import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendCrypto

/// What `sign` adds, signs and leaves out.
@Suite struct SigV4SignerTests {
    let signer = SigV4Signer()
    let credentials = AWSCredentials(
        accessKeyId: "AKIDEXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    )
    let date = Date(timeIntervalSince1970: 1_440_938_160)

    func signedHeaders(_ result: SigV4Signature) -> String? {
        result.authorization.components(separatedBy: "SignedHeaders=").last?.components(separatedBy: ",").first
    }

    func request(_ headers: [(name: String, value: String)]) -> SigV4Request {
        SigV4Request(method: "POST", headers: headers, body: Array("Action=GetCallerIdentity".utf8))
    }

    @Test func addsDateAndAuthorizationOnly() throws {
        let headers = try signer.sign(
            request: request([("Host", "sts.amazonaws.com")]),
            credentials: credentials,
            region: "us-east-1",
            service: "sts",
            date: date
        )
        #expect(headers.map(\.name) == ["X-Amz-Date", "Authorization"])
        #expect(headers[0].value == "20150830T123600Z")
        #expect(
            headers[1].value.hasPrefix(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature="
            )
        )
    }

    @Test func neverSignsHopByHopOrAgentHeaders() throws {
        let result = try signer.signature(
            request: request([
                ("Host", "h"), ("User-Agent", "curl"), ("Expect", "100-continue"),
                ("Connection", "keep-alive"), ("Content-Type", "text/plain"),
                ("Transfer-Encoding", "chunked"), ("X-Amzn-Trace-Id", "Root=1"),
            ]),
            credentials: credentials,
            region: "us-east-1",
            service: "sts",
            date: date,
            signedHeaderNames: ["user-agent", "Expect", "connection", "content-type"]
        )
        #expect(signedHeaders(result) == "content-type;host;x-amz-date")
        #expect(!result.canonicalRequest.contains("curl"))
    }

    @Test func signedHeaderNamesRestrictButHostIsAlwaysSigned() throws {
        let headers: [(name: String, value: String)] = [("Host", "h"), ("Content-Type", "t"), ("X-Custom", "c")]
        let all = try signer.signature(
            request: request(headers),
            credentials: credentials,
            region: "us-east-1",
            service: "sts",
            date: date
        )
        #expect(signedHeaders(all) == "content-type;host;x-amz-date;x-custom")
        let some = try signer.signature(
            request: request(headers),
            credentials: credentials,
            region: "us-east-1",
            service: "sts",
            date: date,
            signedHeaderNames: ["CONTENT-TYPE"]
        )
        #expect(signedHeaders(some) == "content-type;host;x-amz-date")
        #expect(some.signature != all.signature)
    }

    @Test func ignoresTheRequestsOwnSignerFields() throws {
        let clean = try signer.signature(
            request: request([("Host", "h")]),
            credentials: credentials,
            region: "us-east-1",
            service: "sts",
            date: date
        )
        let stale = try signer.signature(
            request: request([
                ("Host", "h"), ("X-Amz-Date", "19990101T000000Z"), ("Authorization", "old"),
                ("X-Amz-Security-Token", "old-token"),
            ]),
            credentials: credentials,
            region: "us-east-1",
            service: "sts",
            date: date
        )
        #expect(stale.canonicalRequest == clean.canonicalRequest)
        #expect(stale.headers.map(\.value) == clean.headers.map(\.value))
    }

    @Test func sessionTokenSignedByDefault() throws {
        var withToken = credentials
        withToken.sessionToken = "FQoGZXIvYXdzEBYaD"
        let result = try signer.signature(
            request: request([("Host", "h")]),
            credentials: withToken,
            region: "us-east-1",
            service: "sts",
            date: date
        )
        #expect(result.headers.map(\.name) == ["X-Amz-Date", "X-Amz-Security-Token", "Authorization"])
        #expect(result.headers[1].value == "FQoGZXIvYXdzEBYaD")
        #expect(signedHeaders(result) == "host;x-amz-date;x-amz-security-token")
        #expect(result.canonicalRequest.contains("\nx-amz-security-token:FQoGZXIvYXdzEBYaD\n"))
    }

    @Test func sessionTokenAppendedAfterSigning() throws {
        var withToken = credentials
        withToken.sessionToken = "FQoGZXIvYXdzEBYaD"
        let plain = try signer.signature(
            request: request([("Host", "h")]),
            credentials: credentials,
            region: "us-east-1",
            service: "sts",
            date: date
        )
        let result = try signer.signature(
            request: request([("Host", "h")]),
            credentials: withToken,
            region: "us-east-1",
            service: "sts",
            date: date,
            securityToken: .appendedAfterSigning
        )
        #expect(result.headers.contains { $0.name == "X-Amz-Security-Token" && $0.value == "FQoGZXIvYXdzEBYaD" })
        #expect(signedHeaders(result) == "host;x-amz-date")
        #expect(result.authorization == plain.authorization)
    }

    @Test func emptySessionTokenIsNoToken() throws {
        var empty = credentials
        empty.sessionToken = ""
        let headers = try signer.sign(
            request: request([("Host", "h")]),
            credentials: empty,
            region: "us-east-1",
            service: "sts",
            date: date
        )
        #expect(!headers.contains { $0.name == "X-Amz-Security-Token" })
    }

    @Test func contentSHA256IsAddedAndSignedOnRequest() throws {
        let result = try signer.signature(
            request: request([("Host", "h"), ("X-Amz-Content-Sha256", "stale")]),
            credentials: credentials,
            region: "us-east-1",
            service: "sts",
            date: date,
            includeContentSHA256: true
        )
        let hash = Hex.encode(SHA256.hash("Action=GetCallerIdentity"))
        #expect(result.headers.map(\.name) == ["X-Amz-Date", "X-Amz-Content-Sha256", "Authorization"])
        #expect(result.headers[1].value == hash)
        #expect(signedHeaders(result) == "host;x-amz-content-sha256;x-amz-date")
        #expect(result.canonicalRequest.hasSuffix("\n\(hash)"))
        #expect(!result.canonicalRequest.contains("stale"))
    }

    @Test func signatureDependsOnEveryInput() throws {
        let base = try signer.signature(
            request: request([("Host", "h")]),
            credentials: credentials,
            region: "us-east-1",
            service: "sts",
            date: date
        ).signature
        var other = credentials
        other.secretAccessKey += "x"
        let variants = [
            try signer.signature(
                request: request([("Host", "h")]),
                credentials: other,
                region: "us-east-1",
                service: "sts",
                date: date
            ),
            try signer.signature(
                request: request([("Host", "h")]),
                credentials: credentials,
                region: "eu-west-1",
                service: "sts",
                date: date
            ),
            try signer.signature(
                request: request([("Host", "h")]),
                credentials: credentials,
                region: "us-east-1",
                service: "iam",
                date: date
            ),
            try signer.signature(
                request: request([("Host", "h")]),
                credentials: credentials,
                region: "us-east-1",
                service: "sts",
                date: date.addingTimeInterval(1)
            ),
            try signer.signature(
                request: SigV4Request(method: "POST", headers: [("Host", "h")], body: Array("x".utf8)),
                credentials: credentials,
                region: "us-east-1",
                service: "sts",
                date: date
            ),
        ].map(\.signature)
        #expect(Set(variants + [base]).count == 6)
    }
}
