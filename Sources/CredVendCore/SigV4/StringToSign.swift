import Foundation
import CredVendCrypto

/// The two renderings of the signing time SigV4 uses, both UTC.
struct SigV4Date: Equatable {
    /// `20150830T123600Z`, the `X-Amz-Date` header.
    let amzDate: String
    /// `20150830`, the first part of the credential scope.
    let dateStamp: String

    init(_ date: Date) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        dateStamp = pad(parts.tm_year + 1900, 4) + pad(parts.tm_mon + 1, 2) + pad(parts.tm_mday, 2)
        amzDate = dateStamp + "T" + pad(parts.tm_hour, 2) + pad(parts.tm_min, 2) + pad(parts.tm_sec, 2) + "Z"
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
