import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendCrypto

/// Each SigV4 stage on its own, including what the AWS suite does not cover.
@Suite struct SigV4StageTests {
    @Test(arguments: [
        ("abcXYZ019-_.~", false, "abcXYZ019-_.~"),
        ("a b", false, "a%20b"),
        ("a+b=c&d", false, "a%2Bb%3Dc%26d"),
        ("*!'()", false, "%2A%21%27%28%29"),
        ("100%", false, "100%25"),
        ("/a/b", false, "%2Fa%2Fb"),
        ("/a/b c", true, "/a/b%20c"),
        ("\u{1234}", false, "%E1%88%B4"),
        ("é", false, "%C3%A9"),
    ])
    func percentEncoding(input: String, keepSlash: Bool, expected: String) {
        #expect(PercentEncoding.encode(input, keepSlash: keepSlash) == expected)
    }

    @Test(arguments: [
        ("", "/"), ("/", "/"), ("//", "/"), ("/a", "/a"), ("/a/", "/a/"), ("//a//b//", "/a/b/"),
        ("/./", "/"), ("/./a", "/a"), ("/a/.", "/a/"), ("/a/..", "/"), ("/a/b/../c", "/a/c"),
        ("/a/../../b", "/b"), ("/a/b/..", "/a/"), ("/..", "/"), ("/a/.b/..c", "/a/.b/..c"),
    ])
    func normalizedPath(path: String, expected: String) {
        #expect(CanonicalRequest.normalizedPath(path) == expected)
    }

    @Test func canonicalURIWithAndWithoutNormalization() {
        #expect(CanonicalRequest.uri(path: "//a//b/../c d", normalize: true) == "/a/c%20d")
        #expect(CanonicalRequest.uri(path: "//a//b/../c d", normalize: false) == "//a//b/../c%20d")
        #expect(
            CanonicalRequest.uri(path: "/my-object//example//photo.user", normalize: false)
                == "/my-object//example//photo.user"
        )
        #expect(CanonicalRequest.uri(path: "", normalize: false) == "/")
        // An already-encoded wire path is encoded again (the non-S3 rule).
        #expect(CanonicalRequest.uri(path: "/a%20b", normalize: true) == "/a%2520b")
    }

    @Test func canonicalQueryString() {
        #expect(CanonicalRequest.queryString([]) == "")
        #expect(CanonicalRequest.queryString([("b", "2"), ("a", "1")]) == "a=1&b=2")
        // Byte order: upper case sorts before lower case; same name sorts by value.
        #expect(CanonicalRequest.queryString([("a", "x"), ("B", "y"), ("a", "X")]) == "B=y&a=X&a=x")
        #expect(CanonicalRequest.queryString([("empty", "")]) == "empty=")
        #expect(CanonicalRequest.queryString([("k y", "v&l=u+e")]) == "k%20y=v%26l%3Du%2Be")
        // Sorting happens on encoded names: "%2A" (from "*") sorts before "A".
        #expect(CanonicalRequest.queryString([("A", "1"), ("*", "2")]) == "%2A=2&A=1")
    }

    @Test(arguments: [
        ("value", "value"), ("  value  ", "value"), ("a   b    c", "a b c"), ("\ta\t\tb ", "a b"),
        ("\"a   b   c\"", "\"a b c\""), ("", ""), ("   ", ""),
    ])
    func headerValueTrimAndCollapse(input: String, expected: String) {
        #expect(CanonicalRequest.headerValue(input) == expected)
    }

    @Test func headerEntriesSortLowerCaseAndJoin() {
        let entries = CanonicalRequest.headerEntries([
            ("X-Amz-Date", "20150830T123600Z"), ("Host", "example.com"), ("My-Header", "v4"),
            ("my-header", "  v1 "), ("MY-HEADER", "v3"), ("Content-Type", "text/plain"), ("zed", "z"),
            ("A-Upper", "a"),
        ])
        #expect(entries.map(\.name) == ["a-upper", "content-type", "host", "my-header", "x-amz-date", "zed"])
        #expect(entries.first { $0.name == "my-header" }?.value == "v4,v1,v3")
        #expect(CanonicalRequest.signedHeaders(entries) == "a-upper;content-type;host;my-header;x-amz-date;zed")
        #expect(CanonicalRequest.headers(Array(entries.prefix(2))) == "a-upper:a\ncontent-type:text/plain\n")
    }

    @Test func hashedPayload() {
        #expect(
            CanonicalRequest.hashedPayload([])
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
        #expect(
            CanonicalRequest.hashedPayload(Array("Param1=value1".utf8))
                == "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
        )
    }

    @Test func canonicalRequestJoinsSixParts() {
        #expect(
            CanonicalRequest.make(
                method: "GET",
                uri: "/",
                queryString: "a=1",
                canonicalHeaders: "host:h\n",
                signedHeaders: "host",
                hashedPayload: "ff"
            )
                == "GET\n/\na=1\nhost:h\n\nhost\nff"
        )
    }

    @Test func amzDate() {
        let date = SigV4Date(Date(timeIntervalSince1970: 1_440_938_160))
        #expect(date.amzDate == "20150830T123600Z")
        #expect(date.dateStamp == "20150830")
        // Fractions are cut, never rounded up into the next second.
        #expect(SigV4Date(Date(timeIntervalSince1970: 1_440_938_160.999)).amzDate == "20150830T123600Z")
        #expect(SigV4Date(Date(timeIntervalSince1970: 0)).amzDate == "19700101T000000Z")
        // 2028-02-29T23:59:59Z, a leap day one second before midnight.
        #expect(SigV4Date(Date(timeIntervalSince1970: 1_835_481_599)).amzDate == "20280229T235959Z")
    }

    /// The worked example of the AWS General Reference ("Signature Version 4
    /// signing process", IAM ListUsers), each stage against its published value.
    @Test func awsDocumentationExample() throws {
        let entries = CanonicalRequest.headerEntries([
            ("Host", "iam.amazonaws.com"), ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            ("X-Amz-Date", "20150830T123600Z"),
        ])
        let creq = CanonicalRequest.make(
            method: "GET",
            uri: CanonicalRequest.uri(path: "/", normalize: true),
            queryString: CanonicalRequest.queryString([("Version", "2010-05-08"), ("Action", "ListUsers")]),
            canonicalHeaders: CanonicalRequest.headers(entries),
            signedHeaders: CanonicalRequest.signedHeaders(entries),
            hashedPayload: CanonicalRequest.hashedPayload([])
        )
        #expect(Hex.encode(SHA256.hash(creq)) == "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59")

        let scope = StringToSign.credentialScope(dateStamp: "20150830", region: "us-east-1", service: "iam")
        #expect(scope == "20150830/us-east-1/iam/aws4_request")
        let sts = StringToSign.make(amzDate: "20150830T123600Z", credentialScope: scope, canonicalRequest: creq)
        #expect(
            sts == """
                AWS4-HMAC-SHA256
                20150830T123600Z
                20150830/us-east-1/iam/aws4_request
                f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59
                """
        )

        let key = try SigV4SigningKey.derive(
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            dateStamp: "20150830",
            region: "us-east-1",
            service: "iam"
        )
        #expect(Hex.encode(key) == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")
        let signature = try SigV4SigningKey.signature(signingKey: key, stringToSign: sts)
        #expect(signature == "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
        #expect(
            SigV4Signer.authorization(
                accessKeyId: "AKIDEXAMPLE",
                credentialScope: scope,
                signedHeaders: "content-type;host;x-amz-date",
                signature: signature
            )
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-date, "
                + "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        )
    }

    /// AWS General Reference, "Examples of how to derive a signing key".
    @Test func signingKeyDerivationExample() throws {
        let key = try SigV4SigningKey.derive(
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            dateStamp: "20120215",
            region: "us-east-1",
            service: "iam"
        )
        #expect(Hex.encode(key) == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }
}
