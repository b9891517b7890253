import Foundation
import Testing

@testable import CredVendCore

@Suite struct SourceCredentialFormatsTests {
    @Test func sharedFileProfiles() {
        let text = """
            # comment
            [default]
            aws_access_key_id = AKIDDEFAULT
            aws_secret_access_key=secret-default

            [profile other]
            aws_access_key_id = AKIDOTHER
            aws_secret_access_key = secret-other
            aws_session_token = tok
            [broken]
            aws_access_key_id = AKIDBROKEN
            """
        #expect(
            SharedCredentialsFile.parse(text, profile: "default")
                == AWSCredentials(accessKeyId: "AKIDDEFAULT", secretAccessKey: "secret-default")
        )
        #expect(SharedCredentialsFile.parse(text, profile: "other")?.sessionToken == "tok")
        #expect(SharedCredentialsFile.parse(text, profile: "broken") == nil)
        #expect(SharedCredentialsFile.parse(text, profile: "missing") == nil)
    }

    @Test func containerShapeRoundTrips() throws {
        let c = AWSCredentials(
            accessKeyId: "ASIA1",
            secretAccessKey: "s\"x",
            sessionToken: "t",
            expiration: Date(timeIntervalSince1970: 1_800_000_000)
        )
        let parsed = try #require(ContainerCredentials.parse(ContainerCredentials.render(c)))
        #expect(parsed == c)
        #expect(ContainerCredentials.parse(Array("{}".utf8)) == nil)
        #expect(ContainerCredentials.parse(Array("garbage".utf8)) == nil)
    }

    @Test func ambiguousOrMistypedCredentialJSONIsRefused() {
        let twice = #"{"AccessKeyId":"ASIA1","SecretAccessKey":"s","SecretAccessKey":"t"}"#
        #expect(ContainerCredentials.parse(Array(twice.utf8)) == nil)
        #expect(ContainerCredentials.parse(Array(#"{"AccessKeyId":"ASIA1","SecretAccessKey":5}"#.utf8)) == nil)
        #expect(
            ContainerCredentials.parse(Array(#"{"AccessKeyId":"ASIA1","SecretAccessKey":"s"}"#.utf8))
                == AWSCredentials(accessKeyId: "ASIA1", secretAccessKey: "s")
        )
        let process = #"{"AccessKeyId":"ASIA1","SecretAccessKey":"s","Version":VERSION}"#
        #expect(
            CredentialProcessOutput.parse(Array(process.replacingOccurrences(of: "VERSION", with: "1").utf8)) != nil
        )
        for version in ["true", "\"1\"", "2", "1.5"] {
            #expect(
                CredentialProcessOutput.parse(Array(process.replacingOccurrences(of: "VERSION", with: version).utf8))
                    == nil
            )
        }
        #expect(CredentialProcessOutput.parse(Array((process.dropLast() + #","Version":1}"#).utf8)) == nil)
    }

    @Test func descriptionHidesSecrets() {
        let c = AWSCredentials(accessKeyId: "ASIA1", secretAccessKey: "very-secret", sessionToken: "session-secret")
        #expect(!c.description.contains("very-secret") && !c.description.contains("session-secret"))
    }

    @Test func iso8601() {
        let d = Date(timeIntervalSince1970: 1_795_995_097)
        #expect(ISO8601.string(d) == "2026-11-29T23:31:37Z")
        #expect(ISO8601.parse("2026-11-29T23:31:37Z") == d)
        #expect(ISO8601.parse("2026-11-29T23:31:37.000Z") == d)
        #expect(ISO8601.parse("yesterday") == nil)
    }
}

@Suite struct ISO8601FastPathTests {
    @Test(arguments: [
        "2026-11-29T23:31:37Z", "2026-11-29T23:31:37.250Z", "2024-02-29T00:00:00Z", "1999-12-31T23:59:59Z",
    ])
    func agreesWithFoundation(text: String) throws {
        let fast = try #require(ISO8601.parseUTC(Array(text.utf8)))
        let f = ISO8601DateFormatter()
        f.formatOptions =
            text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        let reference = try #require(f.date(from: text))
        #expect(abs(fast.timeIntervalSince(reference)) < 0.001)
    }

    @Test(arguments: [
        "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-29 23:31:37Z", "2026-11-29T23:31:37",
        "2026-11-29T23:31:37.Z", "2026-11-29T24:00:00Z", "x026-11-29T23:31:37Z",
    ])
    func refusesWhatIsNotAValidUTCTime(text: String) {
        #expect(ISO8601.parseUTC(Array(text.utf8)) == nil)
    }

    @Test func offsetsStillParseThroughFoundation() {
        #expect(ISO8601.parse("2026-11-30T00:31:37+01:00") == ISO8601.parse("2026-11-29T23:31:37Z"))
    }
}
