import CredVendCrypto
import Foundation

/// The two renderings of the signing time SigV4 uses, both UTC.
struct SigV4Date: Equatable {
    /// `20150830T123600Z`, the `X-Amz-Date` header.
    let amzDate: String
    /// `20150830`, the first part of the credential scope.
    let dateStamp: String

    init(_ date: Date) {
        let t = UTCDateTime(secondsSince1970: Int(date.timeIntervalSince1970.rounded(.down)))
        func pad(_ value: Int, _ width: Int) -> String { String(value).leftPadded(to: width) }
        dateStamp = pad(t.year, 4) + pad(t.month, 2) + pad(t.day, 2)
        amzDate = dateStamp + "T" + pad(t.hour, 2) + pad(t.minute, 2) + pad(t.second, 2) + "Z"
    }
}

/// Task 2 of SigV4, "create a string to sign".
enum StringToSign {
    static let algorithm = "AWS4-HMAC-SHA256"

    /// `20150830/us-east-1/sts/aws4_request`.
    static func credentialScope(dateStamp: String, region: String, service: String) -> String {
        "\(dateStamp)/\(region)/\(service)/aws4_request"
    }

    /// Algorithm, request time, scope and the hex SHA-256 of the canonical request, one per line.
    static func make(amzDate: String, credentialScope: String, canonicalRequest: String) -> String {
        [algorithm, amzDate, credentialScope, Hex.encode(SHA256.hash(canonicalRequest))].joined(separator: "\n")
    }
}
