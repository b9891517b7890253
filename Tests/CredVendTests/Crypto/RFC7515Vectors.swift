@testable import CredVendCore
@testable import CredVendCrypto

// RFC 7515 Appendix A.2 (RS256) and A.3 (ES256): the JWKs and compact serializations
// exactly as the RFC prints them (lines joined). The examples carry no `kid`.
enum RFC7515 {
    /// Appendix A.2.1: the payload of A.1, base64url, shared by A.2 and A.3.
    static let payload =
        "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"

    /// Appendix A.2.1: `{"alg":"RS256"}`.
    static let rs256Header = "eyJhbGciOiJSUzI1NiJ9"

    /// Appendix A.2.1: the RSA key (public part).
    static let rsaN =
        "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx"
        + "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs"
        + "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSH"
        + "SXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV"
        + "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8"
        + "NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
    static let rsaE = "AQAB"

    /// Appendix A.2.1: the signature, base64url.
    static let rs256Signature =
        "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjb"
        + "KBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZES"
        + "c6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"

    static let rs256Token = rs256Header + "." + payload + "." + rs256Signature

    /// Appendix A.3.1: `{"alg":"ES256"}`.
    static let es256Header = "eyJhbGciOiJFUzI1NiJ9"

    /// Appendix A.3.1: the P-256 key (public part).
    static let ecX = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
    static let ecY = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"

    /// Appendix A.3.1: the signature (R || S), base64url.
    static let es256Signature = "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"

    static let es256Token = es256Header + "." + payload + "." + es256Signature

    static func signingInput(_ token: String) -> [UInt8] {
        Array(
            token.utf8.split(separator: UInt8(ascii: "."), maxSplits: 2, omittingEmptySubsequences: false)
                .prefix(2).joined(separator: [UInt8(ascii: ".")])
        )
    }

    static func signature(_ token: String) -> [UInt8] {
        Base64URL.decode(String(token.split(separator: ".", omittingEmptySubsequences: false)[2]))!
    }

    static func rsaKey() throws -> VerifyingKey {
        try VerifyingKey(rsaModulus: Base64URL.decode(rsaN)!, exponent: Base64URL.decode(rsaE)!)
    }

    static func ecKey() throws -> VerifyingKey {
        try VerifyingKey(ecCurve: "P-256", x: Base64URL.decode(ecX)!, y: Base64URL.decode(ecY)!)
    }
}
