import Foundation
import Testing

@testable import CredVendCore

/// The `/v1/credentials` body, written straight into bytes: the same text, field order and
/// escaping as the JSON string literals of `JSONValue`.
@Suite struct CredentialProcessRenderTests {
    @Test func plainCredentialsAreTheFourFieldsInOrder() {
        let body = String(decoding: CredentialProcessOutput.render(sampleCredentials), as: UTF8.self)
        #expect(
            body == #"{"Version":1,"AccessKeyId":"ASIAEXAMPLE123","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG+bPxRfiCY","#
                + #""SessionToken":"FQoGZXIvYXdzEJr//////////wEaDP+/=","Expiration":"2027-01-15T09:00:00Z"}"#
        )
    }

    @Test func quotesBackslashesAndControlCharactersAreEscapedAsJSONValueDoes() throws {
        let odd = AWSCredentials(accessKeyId: "AK\"1", secretAccessKey: "s\\e\u{1}c\n", sessionToken: nil)
        let body = CredentialProcessOutput.render(odd)
        #expect(
            String(decoding: body, as: UTF8.self)
                == #"{"Version":1,"AccessKeyId":"AK\"1","SecretAccessKey":"s\\e\u0001c\n"}"#
        )
        #expect(try #require(CredentialProcessOutput.parse(body)) == odd)
    }

    /// The rendering before it was written into bytes: string interpolation of `JSONText.quote`.
    private func interpolated(_ c: AWSCredentials) -> String {
        var s = "{\"Version\":1,\"AccessKeyId\":\(JSONText.quote(c.accessKeyId))"
        s += ",\"SecretAccessKey\":\(JSONText.quote(c.secretAccessKey))"
        if let t = c.sessionToken { s += ",\"SessionToken\":\(JSONText.quote(t))" }
        if let e = c.expiration { s += ",\"Expiration\":\(JSONText.quote(ISO8601.string(e)))" }
        return s + "}"
    }

    /// Values of every kind: base64, empty, quotes, backslashes, each control character,
    /// DEL and non-ASCII text, short and long, at dates from 1970 to 2100.
    @Test func theBytesAreTheInterpolatedRenderingOfVariedValues() {
        let alphabet: [Character] =
            Array("ABCxyz019+/=") + ["\"", "\\", "\u{7F}", "é", "€", "😀"]
            + (0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) }
        var random = SplitMix64(seed: 0x5EED)  // the same inputs on every run
        func text(upTo length: Int) -> String {
            String(
                (0..<Int.random(in: 0...length, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            )
        }
        for round in 0..<500 {
            let c = AWSCredentials(
                accessKeyId: text(upTo: 24),
                secretAccessKey: text(upTo: 48),
                sessionToken: round % 5 == 0 ? nil : text(upTo: round % 2 == 0 ? 16 : 1200),
                expiration: round % 7 == 0
                    ? nil : Date(timeIntervalSince1970: Double.random(in: 0..<4_102_444_800, using: &random))
            )
            let body = CredentialProcessOutput.render(c)
            #expect(String(decoding: body, as: UTF8.self) == interpolated(c), "round \(round)")
        }
    }
}
