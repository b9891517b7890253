import CredVendTesting
import Foundation
import Testing

@testable import CredVendCore

/// The FakeSTS is only worth its name if it refuses what AWS refuses: these tests sign
/// with the project's request builder and then break one thing at a time.
@Suite struct FakeSTSTests {
    let parameters = AssumeRoleParameters(
        roleArn: "arn:aws:iam::123456789012:role/r",
        roleSessionName: "credvend-x",
        durationSeconds: 900
    )
    let clock = FixedClock()

    func send(_ sts: FakeSTS, _ request: SignedAWSRequest, body: [UInt8]? = nil) throws -> HTTPResponse {
        try sts.send(
            HTTPClientRequest(
                method: request.method,
                url: request.url,
                headers: request.headers.map { ($0.name, $0.value) },
                body: body ?? request.body
            )
        )
    }

    func signed(_ sts: FakeSTS, with credentials: AWSCredentials, skew: TimeInterval = 0) throws -> SignedAWSRequest {
        try AssumeRoleRequestBuilder(endpoint: try AWSEndpoint(sts.endpoint), region: sts.region)
            .assumeRole(parameters, credentials: credentials, date: clock.now().addingTimeInterval(skew))
    }

    @Test func aGoodSignatureGetsCredentialsThatTheParserReads() throws {
        let sts = FakeSTS(clock: clock)
        let response = try send(sts, try signed(sts, with: FakeSTS.sourceCredentials))
        #expect(response.status == 200)
        let role = try STSResponseParser.parse(response.body, httpStatus: response.status, action: .assumeRole)
        #expect(role.credentials == sts.issued.first)
        #expect(role.credentials.expiration == clock.now().addingTimeInterval(900))
        #expect(role.assumedRoleArn == "arn:aws:sts::123456789012:assumed-role/r/credvend-x")
        #expect(sts.calls.first?.roleArn == parameters.roleArn)
    }

    @Test func aWrongSecretOrATamperedBodyIsSignatureDoesNotMatch() throws {
        let sts = FakeSTS(clock: clock)
        var wrong = FakeSTS.sourceCredentials
        wrong.secretAccessKey += "x"
        let tampered = try signed(sts, with: FakeSTS.sourceCredentials)
        let body = Array(
            String(decoding: tampered.body, as: UTF8.self).replacingOccurrences(of: "900", with: "43200").utf8
        )
        for response in [try send(sts, try signed(sts, with: wrong)), try send(sts, tampered, body: body)] {
            #expect(response.status == 403)
            #expect(throws: STSError.self) {
                try STSResponseParser.parse(response.body, httpStatus: response.status, action: .assumeRole)
            }
        }
        #expect(sts.calls.map(\.errorCode) == ["SignatureDoesNotMatch", "SignatureDoesNotMatch"])
        #expect(sts.issued.isEmpty)
    }

    @Test func anUnknownKeyOrSessionTokenIsInvalidClientTokenId() throws {
        let temporary = AWSCredentials(accessKeyId: "ASIASOURCE", secretAccessKey: "s3cr3t", sessionToken: "token-1")
        let sts = FakeSTS(source: temporary, clock: clock)
        var otherToken = temporary
        otherToken.sessionToken = "token-2"
        var otherKey = temporary
        otherKey.accessKeyId = "ASIAOTHER"
        #expect(try send(sts, try signed(sts, with: temporary)).status == 200)
        #expect(try send(sts, try signed(sts, with: otherToken)).status == 403)
        #expect(try send(sts, try signed(sts, with: otherKey)).status == 403)
        #expect(sts.calls.map(\.errorCode) == [nil, "InvalidClientTokenId", "InvalidClientTokenId"])
    }

    @Test func scriptedAnswersComeInOrderThenSuccess() throws {
        let sts = FakeSTS(clock: clock)
        sts.script(.throttling, .serverError(status: 500), .accessDenied, .garbage)
        let statuses = try (0..<5).map { _ in try send(sts, try signed(sts, with: FakeSTS.sourceCredentials)).status }
        #expect(statuses == [400, 500, 403, 200, 200])
        #expect(sts.calls.map(\.errorCode) == ["Throttling", "ServiceUnavailable", "AccessDenied", "garbage", nil])
    }

    @Test func aSignatureMoreThan15MinutesOffIsRefused() throws {
        let sts = FakeSTS(clock: clock)
        #expect(try send(sts, try signed(sts, with: FakeSTS.sourceCredentials, skew: -14 * 60)).status == 200)
        #expect(try send(sts, try signed(sts, with: FakeSTS.sourceCredentials, skew: 16 * 60)).status == 403)
        #expect(try send(sts, try signed(sts, with: FakeSTS.sourceCredentials, skew: -16 * 60)).status == 403)
        #expect(sts.calls.map(\.errorCode) == [nil, "SignatureDoesNotMatch", "SignatureDoesNotMatch"])
    }
}
