import Foundation
import Testing

@testable import CredVendCore

/// The prepared request (the AssumeRole fast path) signs as the general signer does.
@Suite struct SigV4FixedRequestTests {
    /// Header names on both sides of `x-amz-date` and `x-amz-security-token` in byte
    /// order, in any case, repeated, owned by the signer or never signed.
    static let names = [
        "Host", "Content-Type", "a-first", "X-Amz-Content-Sha256", "x-amz-d", "X-Amz-Meta", "x-amz-security",
        "x-amz-security-tokens", "X-Amz-Target", "zeta", "User-Agent", "Connection", "X-Amz-Date",
        "x-amz-security-token", "Authorization", "X-amz-target",
    ]
    static let values = ["v", "  padded  ", "a  b\tc", "", "application/x-www-form-urlencoded; charset=utf-8", "é"]
    static let paths = ["/", "", "/a/../b//c", "/x y/", "/%41"]
    static let texts = ["", "a", "x y", "arn:aws:iam::1:role/r", "é&=+"]

    @Test func signsAsTheGeneralSignerOverGeneratedRequests() throws {
        var generator = SplitMix64(seed: 0x516_4E44)
        let signer = SigV4Signer()
        for round in 0..<600 {
            func pick<T>(_ list: [T]) -> T { list.randomElement(using: &generator)! }
            var fields: [(name: String, value: String)] = [("Host", pick(["h", "sts.us-east-1.amazonaws.com:8443"]))]
            for _ in 0..<Int.random(in: 0...5, using: &generator) {
                fields.append((pick(Self.names), pick(Self.values)))
            }
            fields.shuffle(using: &generator)
            let query = (0..<Int.random(in: 0...2, using: &generator)).map { _ in (pick(Self.texts), pick(Self.texts)) }
            let method = pick(["POST", "GET"])
            let path = pick(Self.paths)
            let normalize = Bool.random(using: &generator)
            let region = pick(["us-east-1", "eu-west-3"])
            let service = pick(["sts", "dynamodb"])
            let body = (0..<Int.random(in: 0...300, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            let credentials = AWSCredentials(
                accessKeyId: pick(["AKIDEXAMPLE", "ASIA0000000000000001"]),
                secretAccessKey: pick(["secret", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"]),
                sessionToken: pick([nil, "", "token", " spaced  token ", String(repeating: "A", count: 800)])
            )
            let date = Date(timeIntervalSince1970: Double(Int.random(in: 0...4_000_000_000, using: &generator)) + 0.5)

            let fixed = signer.fixedRequest(
                method: method,
                path: path,
                query: query,
                fields: fields,
                region: region,
                service: service,
                normalizePath: normalize
            )
            let fast = try fixed.sign(body: body, credentials: credentials, date: date)
            let general = try signer.sign(
                request: SigV4Request(method: method, path: path, query: query, headers: fields, body: body),
                credentials: credentials,
                region: region,
                service: service,
                date: date,
                normalizePath: normalize
            )
            let expected = fields + general
            #expect(fast.map(\.name) == expected.map(\.name), "round \(round)")
            #expect(fast.map(\.value) == expected.map(\.value), "round \(round): \(fields) \(path)")
        }
    }

    /// One signer's date and key caches across a second change, midnight UTC, a key
    /// rotation and a region change, in and out of order.
    @Test func signsAsTheGeneralSignerAcrossCacheChanges() throws {
        let signer = SigV4Signer()
        let fields = [("Host", "sts.amazonaws.com"), ("Content-Type", "application/x-www-form-urlencoded")]
        let requests = ["us-east-1", "eu-west-1"].map { region in
            (region, signer.fixedRequest(method: "POST", fields: fields, region: region, service: "sts"))
        }
        let lastSecondOfLeapDay = 1_835_481_599.0
        let times = [0, 0.5, 1, 2, 1, 0].map { lastSecondOfLeapDay + $0 }
        let credentials = [
            AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret"),
            AWSCredentials(accessKeyId: "ASIAROTATED", secretAccessKey: "rotated", sessionToken: "t"),
        ]
        let body = Array("Action=AssumeRole".utf8)
        for time in times {
            for (region, fixed) in requests + requests.reversed() {
                for source in credentials + credentials.reversed() {
                    let date = Date(timeIntervalSince1970: time)
                    let general = try SigV4Signer().sign(
                        request: SigV4Request(method: "POST", headers: fields, body: body),
                        credentials: source,
                        region: region,
                        service: "sts",
                        date: date
                    )
                    let fast = try fixed.sign(body: body, credentials: source, date: date)
                    #expect(fast.map(\.value) == (fields + general).map(\.value), "\(time) \(region)")
                }
            }
        }
    }

    @Test func assumeRoleBuilderSignsAsTheGeneralSigner() throws {
        let endpoint = try AWSEndpoint("http://127.0.0.1:4566")
        let builder = AssumeRoleRequestBuilder(endpoint: endpoint, region: "eu-west-1")
        let parameters = AssumeRoleParameters(
            roleArn: "arn:aws:iam::123456789012:role/demo",
            roleSessionName: "credvend-x@server 1",
            durationSeconds: 3600,
            policy: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#
        )
        let credentials = AWSCredentials(accessKeyId: "ASIAX", secretAccessKey: "s", sessionToken: "t0k")
        let date = Date(timeIntervalSince1970: 1_796_004_416)
        let request = try builder.assumeRole(parameters, credentials: credentials, date: date)
        let fields: [(name: String, value: String)] = [
            ("Host", endpoint.host), ("Content-Type", AssumeRoleRequestBuilder.contentType),
        ]
        let general = try SigV4Signer().sign(
            request: SigV4Request(method: "POST", path: endpoint.path, headers: fields, body: request.body),
            credentials: credentials,
            region: "eu-west-1",
            service: "sts",
            date: date
        )
        #expect(request.headers.map(\.name) == (fields + general).map(\.name))
        #expect(request.headers.map(\.value) == (fields + general).map(\.value))
        #expect(
            request.body
                == Array(
                    FormURLEncoding.encode([
                        ("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", parameters.roleArn),
                        ("RoleSessionName", parameters.roleSessionName), ("DurationSeconds", "3600"),
                        ("Policy", parameters.policy!),
                    ]).utf8
                )
        )
    }
}
