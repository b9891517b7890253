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
    /// Written straight into one buffer of the right size: it runs once per STS answer,
    /// and string interpolation of a ~1 KiB session token copied it four times.
    public static func render(_ c: AWSCredentials) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(
            120 + c.accessKeyId.utf8.count + c.secretAccessKey.utf8.count + (c.sessionToken?.utf8.count ?? 0)
        )
        out.append(contentsOf: "{\"Version\":1,\"AccessKeyId\":".utf8)
        JSONText.appendQuoted(c.accessKeyId, to: &out)
        out.append(contentsOf: ",\"SecretAccessKey\":".utf8)
        JSONText.appendQuoted(c.secretAccessKey, to: &out)
        if let t = c.sessionToken {
            out.append(contentsOf: ",\"SessionToken\":".utf8)
            JSONText.appendQuoted(t, to: &out)
        }
        if let e = c.expiration {
            out.append(contentsOf: ",\"Expiration\":".utf8)
            JSONText.appendQuoted(ISO8601.string(e), to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
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
