import CredVendCrypto
import Foundation

/// The two renderings of the signing time SigV4 uses, both UTC.
struct SigV4Date: Equatable {
    /// The whole second since 1970 both render.
    let second: Int
    /// `20150830T123600Z`, the `X-Amz-Date` header.
    let amzDate: String
    /// `20150830`, the first part of the credential scope.
    let dateStamp: String

    /// `date` cut (never rounded up) to its whole second.
    init(_ date: Date) {
        self.init(secondsSince1970: Self.second(of: date))
    }

    static func second(of date: Date) -> Int {
        Int(date.timeIntervalSince1970.rounded(.down))
    }

    /// Written digit by digit into one buffer: a dozen small strings joined cost a
    /// microsecond of every signature.
    init(secondsSince1970 second: Int) {
        let t = UTCDateTime(secondsSince1970: second)
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
        self.second = second
        amzDate = String(decoding: bytes, as: UTF8.self)
        dateStamp = String(decoding: bytes[0..<8], as: UTF8.self)
    }
}

/// The credential scope, `20150830/us-east-1/sts/aws4_request`, as two parts written one
/// after the other: `head` (a fixed request's date stamp, which changes daily) and `tail`
/// (its `/region/service/aws4_request`, made once), so no scope is built per signature.
struct CredentialScope {
    let head: String
    let tail: [UInt8]

    var byteCount: Int { head.utf8.count + tail.count }

    func append(to out: inout [UInt8]) {
        out += head.utf8
        out += tail
    }

    /// `/region/service/aws4_request`, the part after the date stamp.
    static func tail(region: String, service: String) -> [UInt8] {
        Array("/\(region)/\(service)/aws4_request".utf8)
    }
}

/// Task 2 of SigV4, "create a string to sign".
enum StringToSign {
    static let algorithm = "AWS4-HMAC-SHA256"

    /// `20150830/us-east-1/sts/aws4_request`.
    static func credentialScope(dateStamp: String, region: String, service: String) -> String {
        dateStamp + String(decoding: CredentialScope.tail(region: region, service: service), as: UTF8.self)
    }

    /// Algorithm, request time, scope and the hex SHA-256 of the canonical request, one per line.
    static func make(amzDate: String, credentialScope: String, canonicalRequest: String) -> String {
        var out = [UInt8]()
        out.reserveCapacity(algorithm.utf8.count + amzDate.utf8.count + credentialScope.utf8.count + 3 + 64)
        append(amzDate: amzDate, credentialScope: CredentialScope(head: credentialScope, tail: []), to: &out)
        Hex.append(SHA256.digest(canonicalRequest.utf8.span), to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The first three lines of `make`, each with its newline, at the end of `out`; the
    /// canonical request's hex digest goes after them.
    static func append(amzDate: String, credentialScope: CredentialScope, to out: inout [UInt8]) {
        out += algorithm.utf8
        out.append(SigV4Bytes.newline)
        out += amzDate.utf8
        out.append(SigV4Bytes.newline)
        credentialScope.append(to: &out)
        out.append(SigV4Bytes.newline)
    }
}

/// Helpers of the stages that write bytes.
enum SigV4Bytes {
    static let newline = UInt8(ascii: "\n")
}
