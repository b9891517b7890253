import Foundation

/// The container-credentials JSON shape (ECS, Greengrass TES, `credvend tes`):
/// `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`.
public enum ContainerCredentials {
    public static func parse(_ body: [UInt8]) -> AWSCredentials? {
        guard let o = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
              let id = o["AccessKeyId"] as? String, !id.isEmpty,
              let secret = o["SecretAccessKey"] as? String, !secret.isEmpty else { return nil }
        let token = o["Token"] as? String
        let expiration = (o["Expiration"] as? String).flatMap(ISO8601.parse)
        return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token, expiration: expiration)
    }

    public static func render(_ c: AWSCredentials) -> [UInt8] {
        var s = "{\"AccessKeyId\":\(JSONText.quote(c.accessKeyId)),\"SecretAccessKey\":\(JSONText.quote(c.secretAccessKey))"
        s += ",\"Token\":\(JSONText.quote(c.sessionToken ?? ""))"
        if let e = c.expiration { s += ",\"Expiration\":\(JSONText.quote(ISO8601.string(e)))" }
        s += "}"
        return Array(s.utf8)
    }
}

/// The credential_process JSON shape (Version 1), what `/v1/credentials` and
/// `credvend get-credentials` print.
public enum CredentialProcessOutput {
    public static func render(_ c: AWSCredentials) -> [UInt8] {
        var s = "{\"Version\":1,\"AccessKeyId\":\(JSONText.quote(c.accessKeyId)),\"SecretAccessKey\":\(JSONText.quote(c.secretAccessKey))"
        if let t = c.sessionToken { s += ",\"SessionToken\":\(JSONText.quote(t))" }
        if let e = c.expiration { s += ",\"Expiration\":\(JSONText.quote(ISO8601.string(e)))" }
        s += "}"
        return Array(s.utf8)
    }

    public static func parse(_ body: [UInt8]) -> AWSCredentials? {
        guard let o = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
              (o["Version"] as? Int) == 1,
              let id = o["AccessKeyId"] as? String, !id.isEmpty,
              let secret = o["SecretAccessKey"] as? String, !secret.isEmpty else { return nil }
        return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: o["SessionToken"] as? String,
                              expiration: (o["Expiration"] as? String).flatMap(ISO8601.parse))
    }
}
