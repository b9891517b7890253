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
}
