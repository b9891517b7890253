import Foundation
import Testing

@testable import CredVendCore

/// The signer against botocore's `SigV4Auth` (what the AWS CLI, boto3 and
/// moto's signature check use), for real AssumeRole requests from
/// `AssumeRoleRequestBuilder`. Needs `python3` with botocore on PATH; without
/// them the test fails and says so, it is never skipped.
@Suite struct BotocoreCrossCheckTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let endpoint: String
        let region: String
        let sessionToken: String?
        let permission: Permission?
        var testDescription: String {
            "\(endpoint) \(region) token:\(sessionToken != nil) policy:\(permission?.rawValue ?? "none")"
        }
    }

    static let cases = [
        Case(endpoint: "https://sts.us-east-1.amazonaws.com", region: "us-east-1", sessionToken: nil, permission: nil),
        Case(
            endpoint: "https://sts.eu-west-1.amazonaws.com:443/",
            region: "eu-west-1",
            sessionToken: "FQoGZXIvYXdzEBYaDHqa0AP1/EXAMPLE+token//////////wEaDJ==",
            permission: .full
        ),
        Case(
            endpoint: "http://127.0.0.1:54917",
            region: "us-east-1",
            sessionToken: "AQoDYXdzEPT//////////wEXAMPLE",
            permission: .readWrite
        ),
    ]

    static let script = #"""
        import datetime, json, sys
        from unittest import mock
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        a = json.loads(sys.argv[1])
        request = AWSRequest(method="POST", url=a["url"], data=a["body"].encode("utf-8"),
                             headers={"Content-Type": a["contentType"]})
        now = datetime.datetime.strptime(a["amzDate"], "%Y%m%dT%H%M%SZ")
        with mock.patch("botocore.auth.get_current_datetime", return_value=now):
            SigV4Auth(Credentials(a["accessKeyId"], a["secretAccessKey"], a["sessionToken"]), "sts", a["region"]).add_auth(request)
        print(json.dumps(dict(request.headers.items())))
        """#

    /// botocore's headers for the request, or a recorded failure saying why not.
    static func botocore(_ arguments: [String: String?]) -> [String: String]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let input = try! JSONSerialization.data(
            withJSONObject: arguments.mapValues { $0 ?? NSNull() as Any },
            options: [.sortedKeys]
        )
        process.arguments = ["python3", "-c", script, String(decoding: input, as: UTF8.self)]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do {
            try process.run()
        } catch {
            Issue.record(
                "botocore cross-check needs python3 on PATH (with botocore installed); could not start it: \(error)"
            )
            return nil
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            Issue.record(
                """
                botocore cross-check needs python3 with botocore (pip install botocore); \
                python3 exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))
                """
            )
            return nil
        }
        guard let headers = try? JSONSerialization.jsonObject(with: output) as? [String: String] else {
            Issue.record("unexpected output from the botocore script: \(String(decoding: output, as: UTF8.self))")
            return nil
        }
        return headers
    }

    @Test(arguments: cases)
    func assumeRoleMatchesBotocore(_ testCase: Case) throws {
        let credentials = AWSCredentials(
            accessKeyId: "AKIAIOSFODNN7EXAMPLE",
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            sessionToken: testCase.sessionToken
        )
        let date = Date(timeIntervalSince1970: 1_795_998_697)  // 2026-11-30T00:31:37Z
        let mapping = RoleMapping(
            clientId: "4tq8h2kbs0rs0l3ff1cmo8h7h2",
            roleArn: "arn:aws:iam::123456789012:role/demo",
            serverName: "server 01",
            bucket: testCase.permission == nil ? nil : "my-bucket",
            s3PathPrefix: "backups/server-01/",
            permission: testCase.permission ?? .write
        )
        let builder = AssumeRoleRequestBuilder(endpoint: try AWSEndpoint(testCase.endpoint), region: testCase.region)
        let request = try builder.assumeRole(
            AssumeRoleParameters(mapping: mapping),
            credentials: credentials,
            date: date
        )

        let theirs = try #require(
            Self.botocore([
                "url": testCase.endpoint, "region": testCase.region,
                "body": String(decoding: request.body, as: UTF8.self),
                "contentType": AssumeRoleRequestBuilder.contentType, "amzDate": "20261130T003137Z",
                "accessKeyId": credentials.accessKeyId, "secretAccessKey": credentials.secretAccessKey,
                "sessionToken": credentials.sessionToken,
            ])
        )
        #expect(request.header("Authorization") == theirs["Authorization"])
        #expect(request.header("X-Amz-Date") == theirs["X-Amz-Date"])
        #expect(request.header("X-Amz-Security-Token") == theirs["X-Amz-Security-Token"])
    }
}
