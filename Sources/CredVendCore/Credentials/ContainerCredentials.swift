/// The container-credentials JSON shape (ECS, Greengrass TES, `credvend tes`):
/// `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`.
public enum ContainerCredentials {
    public static func parse(_ body: [UInt8]) -> AWSCredentials? {
        guard let o = (try? JSONParser.parse(body))?.objectValue,
            let id = o["AccessKeyId"]?.stringValue, !id.isEmpty,
            let secret = o["SecretAccessKey"]?.stringValue, !secret.isEmpty
        else { return nil }
        return AWSCredentials(
            accessKeyId: id,
            secretAccessKey: secret,
            sessionToken: o["Token"]?.stringValue,
            expiration: o["Expiration"]?.stringValue.flatMap(ISO8601.parse)
        )
    }

    public static func render(_ c: AWSCredentials) -> [UInt8] {
        var s =
            "{\"AccessKeyId\":\(JSONText.quote(c.accessKeyId)),\"SecretAccessKey\":\(JSONText.quote(c.secretAccessKey))"
        s += ",\"Token\":\(JSONText.quote(c.sessionToken ?? ""))"
        if let e = c.expiration { s += ",\"Expiration\":\(JSONText.quote(ISO8601.string(e)))" }
        s += "}"
        return Array(s.utf8)
    }
}

extension APIError {
    /// This error as a container-credentials endpoint answers it: `{"code": CODE, "message": TEXT}`,
    /// the keys the AWS SDKs read (Go's endpoint credentials client prints `code: message`; with
    /// `"error"` it printed an empty code and no message). Status and headers as `response`.
    public var containerCredentialsResponse: HTTPResponse {
        var r = response
        r.body = Array("{\"code\":\(JSONText.quote(code)),\"message\":\(JSONText.quote(message))}".utf8)
        return r
    }
}

/// The credential_process JSON shape (Version 1), what `/v1/credentials` and
/// `credvend get-credentials` print.
public enum CredentialProcessOutput {
    /// Written straight into one buffer of the right size: it runs once per STS answer, on
    /// the STS loop thread. No intermediate string, and each value (base64 or ASCII in
    /// practice) checked in one branch-free pass and copied whole; only a value that needs
    /// escaping goes through `JSONText`'s escaper, byte by byte.
    public static func render(_ c: AWSCredentials) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(
            120 + c.accessKeyId.utf8.count + c.secretAccessKey.utf8.count + (c.sessionToken?.utf8.count ?? 0)
        )
        out.append(contentsOf: "{\"Version\":1,\"AccessKeyId\":".utf8)
        appendQuoted(c.accessKeyId, to: &out)
        out.append(contentsOf: ",\"SecretAccessKey\":".utf8)
        appendQuoted(c.secretAccessKey, to: &out)
        if let t = c.sessionToken {
            out.append(contentsOf: ",\"SessionToken\":".utf8)
            appendQuoted(t, to: &out)
        }
        if let e = c.expiration {
            out.append(contentsOf: ",\"Expiration\":\"".utf8)
            ISO8601.append(e, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        guard !needsEscaping(s) else { return JSONText.appendQuoted(s, to: &out) }
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: s.utf8)
        out.append(UInt8(ascii: "\""))
    }

    /// Whether any byte is a control character, a quote or a backslash. No early exit, so
    /// that the loop is vectorized: a kilobyte of session token in a few dozen instructions.
    private static func needsEscaping(_ s: String) -> Bool {
        let bytes = s.utf8.span
        var found: UInt8 = 0
        for i in bytes.indices {
            let b = bytes[i]
            found |= (b < 0x20 ? 1 : 0) | (b == UInt8(ascii: "\"") ? 1 : 0) | (b == UInt8(ascii: "\\") ? 1 : 0)
        }
        return found != 0
    }

    public static func parse(_ body: [UInt8]) -> AWSCredentials? {
        guard let o = (try? JSONParser.parse(body))?.objectValue, o["Version"]?.numberValue == 1,
            let id = o["AccessKeyId"]?.stringValue, !id.isEmpty,
            let secret = o["SecretAccessKey"]?.stringValue, !secret.isEmpty
        else { return nil }
        return AWSCredentials(
            accessKeyId: id,
            secretAccessKey: secret,
            sessionToken: o["SessionToken"]?.stringValue,
            expiration: o["Expiration"]?.stringValue.flatMap(ISO8601.parse)
        )
    }
}
