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
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        UTCDateTime.appendDigits(t.year, width: 4, to: &bytes)
        UTCDateTime.appendDigits(t.month, width: 2, to: &bytes)
        UTCDateTime.appendDigits(t.day, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        UTCDateTime.appendDigits(t.hour, width: 2, to: &bytes)
        UTCDateTime.appendDigits(t.minute, width: 2, to: &bytes)
        UTCDateTime.appendDigits(t.second, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
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
        let text = bytes(
            amzDate: amzDate,
            credentialScope: Array(credentialScope.utf8),
            canonicalRequest: Array(canonicalRequest.utf8)
        )
        return String(decoding: text, as: UTF8.self)
    }

    /// `make` as bytes, the form the signature is computed over.
    static func bytes(amzDate: String, credentialScope: [UInt8], canonicalRequest: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(algorithm.utf8.count + amzDate.utf8.count + credentialScope.count + 3 + 64)
        out += algorithm.utf8
        out.append(SigV4Bytes.newline)
        out += amzDate.utf8
        out.append(SigV4Bytes.newline)
        out += credentialScope
        out.append(SigV4Bytes.newline)
        Hex.append(SHA256.hash(canonicalRequest), to: &out)
        return out
    }
}

/// Helpers of the stages that write bytes.
enum SigV4Bytes {
    static let newline = UInt8(ascii: "\n")
}
