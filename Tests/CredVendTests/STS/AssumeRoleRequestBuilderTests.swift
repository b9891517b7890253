import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendCrypto
@testable import CredVendStore

@Suite struct AssumeRoleRequestBuilderTests {
    let credentials = AWSCredentials(
        accessKeyId: "AKIDEXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    )
    let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

    @Test func assumeRoleBody() {
        let body = AssumeRoleRequestBuilder.assumeRoleBody(
            AssumeRoleParameters(
                roleArn: "arn:aws:iam::123456789012:role/demo",
                roleSessionName: "credvend-server-01",
                durationSeconds: 3600
            )
        )
        #expect(
            body == "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo"
                + "&RoleSessionName=credvend-server-01&DurationSeconds=3600"
        )
    }

    @Test func policyIsFormEncoded() {
        let policy =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"Resource":"arn:aws:s3:::b/a b+c*"}]}"#
        let body = AssumeRoleRequestBuilder.assumeRoleBody(
            AssumeRoleParameters(
                roleArn: "arn:aws:iam::1:role/r",
                roleSessionName: "s=,.@-_",
                durationSeconds: 900,
                policy: policy
            )
        )
        #expect(
            body.hasSuffix(
                "&RoleSessionName=s%3D%2C.%40-_&DurationSeconds=900&Policy=%7B%22Version%22%3A%222012-10-17%22"
                    + "%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22s3%3APutObject%22%5D"
                    + "%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Ab%2Fa%20b%2Bc%2A%22%7D%5D%7D"
            )
        )
        // Round trip through a form decoder.
        let fields = Dictionary(
            uniqueKeysWithValues: body.split(separator: "&").map { pair in
                let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding! }
                return (kv[0], kv[1])
            }
        )
        #expect(fields["Policy"] == policy)
        #expect(fields["RoleSessionName"] == "s=,.@-_")
    }

    @Test(arguments: [
        ("a b", "a%20b"), ("a+b", "a%2Bb"), ("~-._", "~-._"), ("é", "%C3%A9"), ("&=", "%26%3D"), ("", ""),
    ])
    func formEncoding(value: String, encoded: String) {
        #expect(FormURLEncoding.encode([("k", value)]) == "k=\(encoded)")
    }

    @Test func webIdentityBody() {
        let builder = AssumeRoleRequestBuilder(
            endpoint: try! .regional(service: "sts", region: "eu-west-1"),
            region: "eu-west-1"
        )
        let request = builder.assumeRoleWithWebIdentity(
            roleArn: "arn:aws:iam::1:role/r",
            roleSessionName: "credvend-x",
            webIdentityToken: "eyJh.eyJz.c2ln-_",
            durationSeconds: 3600
        )
        #expect(
            String(decoding: request.body, as: UTF8.self)
                == "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr"
                + "&RoleSessionName=credvend-x&WebIdentityToken=eyJh.eyJz.c2ln-_&DurationSeconds=3600"
        )
        #expect(request.url == "https://sts.eu-west-1.amazonaws.com/")
        #expect(request.method == "POST")
        #expect(request.headers.map(\.name) == ["Host", "Content-Type"])
        #expect(request.header("authorization") == nil)
    }

    @Test func signedAssumeRoleRequest() throws {
        let builder = AssumeRoleRequestBuilder(
            endpoint: try AWSEndpoint("https://sts.us-east-1.amazonaws.com"),
            region: "us-east-1"
        )
        let parameters = AssumeRoleParameters(
            roleArn: "arn:aws:iam::123456789012:role/demo",
            roleSessionName: "credvend-x",
            durationSeconds: 900
        )
        let request = try builder.assumeRole(parameters, credentials: credentials, date: date)
        #expect(request.url == "https://sts.us-east-1.amazonaws.com/")
        #expect(request.method == "POST")
        #expect(request.headers.map(\.name) == ["Host", "Content-Type", "X-Amz-Date", "Authorization"])
        #expect(request.header("host") == "sts.us-east-1.amazonaws.com")
        #expect(request.header("content-type") == "application/x-www-form-urlencoded; charset=utf-8")
        #expect(request.header("x-amz-date") == "20150830T123600Z")
        #expect(request.body == Array(AssumeRoleRequestBuilder.assumeRoleBody(parameters).utf8))

        // The same signature, stage by stage.
        let creq = """
            POST
            /

            content-type:application/x-www-form-urlencoded; charset=utf-8
            host:sts.us-east-1.amazonaws.com
            x-amz-date:20150830T123600Z

            content-type;host;x-amz-date
            \(Hex.encode(SHA256.hash(request.body)))
            """
        let sts = StringToSign.make(
            amzDate: "20150830T123600Z",
            credentialScope: "20150830/us-east-1/sts/aws4_request",
            canonicalRequest: creq
        )
        let key = try SigV4SigningKey.derive(
            secretAccessKey: credentials.secretAccessKey,
            dateStamp: "20150830",
            region: "us-east-1",
            service: "sts"
        )
        #expect(
            request.header("authorization")
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-date, Signature=\(try SigV4SigningKey.signature(signingKey: key, stringToSign: sts))"
        )
    }

    @Test func temporarySourceCredentialsSignTheToken() throws {
        var temporary = credentials
        temporary.sessionToken = "FQoGZXIvYXdzEBYaD+/="
        let builder = AssumeRoleRequestBuilder(endpoint: try AWSEndpoint("http://127.0.0.1:4566"), region: "us-east-1")
        let request = try builder.assumeRole(
            AssumeRoleParameters(
                roleArn: "arn:aws:iam::1:role/r",
                roleSessionName: "s",
                durationSeconds: 900
            ),
            credentials: temporary,
            date: date
        )
        #expect(request.header("host") == "127.0.0.1:4566")
        #expect(request.header("x-amz-security-token") == "FQoGZXIvYXdzEBYaD+/=")
        #expect(
            request.header("authorization")?.contains(
                "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"
            ) == true
        )
    }

    @Test func parametersFromAMapping() {
        let mapping = RoleMapping(
            clientId: "abc123",
            roleArn: "arn:aws:iam::1:role/r",
            serverName: "server 01",
            bucket: "b",
            s3PathPrefix: "p/",
            permission: .write,
            sessionDurationSeconds: 1800
        )
        let parameters = AssumeRoleParameters(mapping: mapping)
        #expect(
            parameters
                == AssumeRoleParameters(
                    roleArn: "arn:aws:iam::1:role/r",
                    roleSessionName: "credvend-server-01",
                    durationSeconds: 1800,
                    policy: SessionPolicy.json(for: mapping)
                )
        )
        #expect(parameters.policy != nil)
        #expect(AssumeRoleParameters(mapping: RoleMapping(clientId: "c", roleArn: "r")).policy == nil)
    }
}

@Suite struct STSEndpointTests {
    @Test(arguments: [
        (
            "https://sts.us-east-1.amazonaws.com", "https://sts.us-east-1.amazonaws.com/",
            "sts.us-east-1.amazonaws.com", "/"
        ),
        ("https://STS.Amazonaws.com/", "https://sts.amazonaws.com/", "sts.amazonaws.com", "/"),
        ("https://sts.amazonaws.com:443/", "https://sts.amazonaws.com/", "sts.amazonaws.com", "/"),
        ("https://sts.amazonaws.com:8443", "https://sts.amazonaws.com:8443/", "sts.amazonaws.com:8443", "/"),
        ("http://127.0.0.1:80/", "http://127.0.0.1/", "127.0.0.1", "/"),
        ("http://localhost:5000/sts", "http://localhost:5000/sts", "localhost:5000", "/sts"),
        ("http://[::1]:5000/", "http://[::1]:5000/", "[::1]:5000", "/"),
    ])
    func parses(text: String, url: String, host: String, path: String) throws {
        let endpoint = try AWSEndpoint(text)
        #expect(endpoint.url == url)
        #expect(endpoint.host == host)
        #expect(endpoint.path == path)
    }

    @Test(arguments: [
        "ftp://sts.amazonaws.com", "sts.amazonaws.com", "", "https://", "https://sts.amazonaws.com/?a=b",
        "https://sts.amazonaws.com/#f", "https://user:pw@sts.amazonaws.com/",
    ])
    func refuses(text: String) {
        #expect(throws: AWSEndpoint.Invalid.self) { try AWSEndpoint(text) }
    }

    @Test func regional() throws {
        #expect(
            try AWSEndpoint.regional(service: "sts", region: "ap-southeast-2").url
                == "https://sts.ap-southeast-2.amazonaws.com/"
        )
        #expect(throws: AWSEndpoint.Invalid.self) { try AWSEndpoint.regional(service: "sts", region: "evil.com/x") }
        #expect(throws: AWSEndpoint.Invalid.self) { try AWSEndpoint.regional(service: "sts", region: "") }
    }
}
