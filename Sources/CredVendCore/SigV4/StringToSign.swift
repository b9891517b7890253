import CredVendCrypto
import Foundation

/// The two renderings of the signing time SigV4 uses, both UTC.
struct SigV4Date: Equatable {
    /// `20150830T123600Z`, the `X-Amz-Date` header.
    let amzDate: String
    /// `20150830`, the first part of the credential scope.
    let dateStamp: String

    /// Written digit by digit into one buffer: a dozen small strings joined cost a
    /// microsecond of every signature.
    init(_ date: Date) {
        let t = UTCDateTime(secondsSince1970: Int(date.timeIntervalSince1970.rounded(.down)))
        var bytes = [UInt8](repeating: UInt8(ascii: "0"), count: 16)
        func put(_ value: Int, at end: Int, width: Int) {
            var v = max(0, value)
            for i in stride(from: end - 1, through: end - width, by: -1) {
                bytes[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
        }
        put(t.year, at: 4, width: 4)
        put(t.month, at: 6, width: 2)
        put(t.day, at: 8, width: 2)
        bytes[8] = UInt8(ascii: "T")
        put(t.hour, at: 11, width: 2)
        put(t.minute, at: 13, width: 2)
        put(t.second, at: 15, width: 2)
        bytes[15] = UInt8(ascii: "Z")
        amzDate = String(decoding: bytes, as: UTF8.self)
        dateStamp = String(decoding: bytes[0..<8], as: UTF8.self)
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
