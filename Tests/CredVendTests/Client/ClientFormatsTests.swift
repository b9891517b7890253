import Foundation
import Testing

@testable import CredVendCore

let sampleCredentials = AWSCredentials(
    accessKeyId: "ASIAEXAMPLE123",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCY",
    sessionToken: "FQoGZXIvYXdzEJr//////////wEaDP+/=",
    expiration: Date(timeIntervalSince1970: 1_800_003_600)
)

@Suite struct CredentialFileFormatsTests {
    @Test func envFileIsExportLines() throws {
        let text = CredentialFileFormats.env(sampleCredentials)
        #expect(
            text == """
                # written by credvend credential-daemon; expires 2027-01-15T09:00:00Z
                export AWS_ACCESS_KEY_ID=ASIAEXAMPLE123
                export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCY
                export AWS_SESSION_TOKEN=FQoGZXIvYXdzEJr//////////wEaDP+/=
                export AWS_CREDENTIAL_EXPIRATION=2027-01-15T09:00:00Z

                """
        )
        #expect(try EnvFile.parse(text)["AWS_SESSION_TOKEN"] == sampleCredentials.sessionToken)
    }

    @Test func iniFileHasOneProfile() {
        #expect(
            CredentialFileFormats.ini(sampleCredentials, profile: "oidc-s3") == """
                # written by credvend credential-daemon; expires 2027-01-15T09:00:00Z
                [oidc-s3]
                aws_access_key_id = ASIAEXAMPLE123
                aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCY
                aws_session_token = FQoGZXIvYXdzEJr//////////wEaDP+/=

                """
        )
    }

    @Test func jsonFileIsCredentialProcessJSON() {
        let bytes = CredentialFileFormats.json(sampleCredentials)
        #expect(bytes.last == 0x0A)
        #expect(CredentialProcessOutput.parse(bytes) == sampleCredentials)
    }

    @Test func threeFilesInWriteOrder() {
        #expect(
            CredentialFileFormats.files(sampleCredentials).map(\.name) == [
                "aws-credentials.json", "credentials",
                "aws-credentials.env",
            ]
        )
        #expect(CredentialFileFormats.isValidProfileName("default"))
        #expect(!CredentialFileFormats.isValidProfileName("a]b") && !CredentialFileFormats.isValidProfileName("a b"))
    }
}

@Suite struct ClientCacheRecordTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000.25)

    @Test func tokenRoundTrip() throws {
        let token = CachedToken(accessToken: "eyJ.a.b", obtainedAt: t0, expiresAt: t0.addingTimeInterval(3600))
        let bytes = try #require(ClientCacheRecord.encode(token))
        #expect(ClientCacheRecord.decodeToken(bytes) == token)
        #expect(ClientCacheRecord.decodeCredentials(bytes) == nil)  // kinds are not mixed up
        #expect(ClientCacheRecord.encode(CachedToken(accessToken: "x", obtainedAt: t0, expiresAt: nil)) == nil)
        #expect(!"\(token)".contains("eyJ.a.b"))
    }

    @Test func credentialsRoundTrip() throws {
        let record = CachedCredentials(credentials: sampleCredentials, obtainedAt: t0)
        let bytes = try #require(ClientCacheRecord.encode(record))
        #expect(ClientCacheRecord.decodeCredentials(bytes) == record)
        #expect(!"\(record)".contains(sampleCredentials.secretAccessKey))
    }

    @Test func corruptOrForeignContentIsAMiss() throws {
        let good = try #require(
            ClientCacheRecord.encode(CachedCredentials(credentials: sampleCredentials, obtainedAt: t0))
        )
        for bad: [UInt8] in [
            [], Array("garbage".utf8), Array(good.prefix(good.count / 2)), Array("{}".utf8),
            Array(#"{"version":2,"kind":"credentials"}"#.utf8),
            Array(String(decoding: good, as: UTF8.self).replacing("ASIAEXAMPLE123", with: "AS IA").utf8),
        ] {
            #expect(ClientCacheRecord.decodeCredentials(bad) == nil)
            #expect(ClientCacheRecord.decodeToken(bad) == nil)
        }
    }

    @Test func fileNamesAreStableHashes() throws {
        let s = ClientSettings(
            idpType: .cognito,
            domain: "https://x",
            clientId: "c",
            clientSecret: "s",
            scope: "rs/write",
            credentialAPIURL: "https://v/v1/credentials"
        )
        let name = ClientCacheRecord.tokenFileName(s)
        #expect(name.hasPrefix("token-") && name.hasSuffix(".json") && name.count == 6 + 32 + 5)
        #expect(name == ClientCacheRecord.tokenFileName(s))
        var other = s
        other.clientId = "d"
        #expect(ClientCacheRecord.tokenFileName(other) != name)
        #expect(ClientCacheRecord.credentialsFileName(s).hasPrefix("credentials-"))
    }
}
