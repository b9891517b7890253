import Foundation
import Testing
@testable import CredVend

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
        #expect(SharedCredentialsFile.parse(text, profile: "default")
            == AWSCredentials(accessKeyId: "AKIDDEFAULT", secretAccessKey: "secret-default"))
        #expect(SharedCredentialsFile.parse(text, profile: "other")?.sessionToken == "tok")
        #expect(SharedCredentialsFile.parse(text, profile: "broken") == nil)
        #expect(SharedCredentialsFile.parse(text, profile: "missing") == nil)
    }

    @Test func containerShapeRoundTrips() throws {
        let c = AWSCredentials(accessKeyId: "ASIA1", secretAccessKey: "s\"x", sessionToken: "t",
                               expiration: Date(timeIntervalSince1970: 1_800_000_000))
        let parsed = try #require(ContainerCredentials.parse(ContainerCredentials.render(c)))
        #expect(parsed == c)
        #expect(ContainerCredentials.parse(Array("{}".utf8)) == nil)
        #expect(ContainerCredentials.parse(Array("garbage".utf8)) == nil)
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
