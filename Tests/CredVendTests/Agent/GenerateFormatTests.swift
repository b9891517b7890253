import CredVendCore
import Foundation
import Testing

@Suite struct GenerateFormatTests {
    let c = AWSCredentials(
        accessKeyId: "ASIAEXAMPLE",
        secretAccessKey: "secret/key+1",
        sessionToken: "token==",
        expiration: Date(timeIntervalSince1970: 1_800_000_000)
    )

    @Test func eachFormatRoundTripsOrCarriesEveryField() throws {
        #expect(CredentialProcessOutput.parse(GenerateFormat.process.render(c)) == c)
        #expect(ContainerCredentials.parse(GenerateFormat.json.render(c)) == c)
        let env = try EnvFile.parse(String(decoding: GenerateFormat.env.render(c), as: UTF8.self))
        #expect(env["AWS_ACCESS_KEY_ID"] == "ASIAEXAMPLE")
        #expect(env["AWS_SECRET_ACCESS_KEY"] == "secret/key+1")
        #expect(env["AWS_SESSION_TOKEN"] == "token==")
        let ini = String(decoding: GenerateFormat.ini.render(c), as: UTF8.self)
        #expect(ini.contains("[default]\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = secret/key+1\n"))
        #expect(ini.contains("aws_session_token = token==\n"))
    }

    @Test func fileNamesAreCredentialDaemonsAndDistinct() {
        #expect(GenerateFormat.process.fileName == "aws-credentials.json")
        #expect(GenerateFormat.env.fileName == "aws-credentials.env")
        #expect(GenerateFormat.ini.fileName == "credentials")
        #expect(Set(GenerateFormat.allCases.map(\.fileName)).count == 4)
    }

    @Test func ttlTakesSecondsAndUnits() throws {
        #expect(try CredentialTTL.parse("900").get() == 900)
        #expect(try CredentialTTL.parse("15m").get() == 900)
        #expect(try CredentialTTL.parse("2h").get() == 7200)
        #expect(try CredentialTTL.parse("3600s").get() == 3600)
        #expect(try CredentialTTL.parse("12h").get() == 43200)
    }

    @Test func ttlBelowStsMinimumIsRefusedSayingSo() {
        for text in ["899", "14m", "60s"] {
            guard case .failure(let e) = CredentialTTL.parse(text) else {
                Issue.record("--ttl \(text) was accepted")
                continue
            }
            #expect(e.message.contains("STS's minimum session of 900 s"))
        }
        for text in ["13h", "0", "-5", "ten", "", "5d"] {
            guard case .failure = CredentialTTL.parse(text) else {
                Issue.record("--ttl \(text) was accepted")
                continue
            }
        }
    }
}
