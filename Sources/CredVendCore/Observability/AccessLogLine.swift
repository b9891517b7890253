/// The access-log message of one request (docs/reference.md#access-log): `request` and its fields as
/// `key=value`, in the sorted key order the line handler uses for metadata, built
/// as one string so that no metadata dictionary is made and sorted per request. Each value
/// is escaped by `LogEscaping` (a path or client_id with a newline stays on this line).
public enum AccessLogLine {
    public static func message(
        method: String,
        path: String,
        status: Int,
        micros: UInt64,
        remote: String,
        requestId: String,
        clientId: String?,
        tokenFingerprint: String?,
        errorCode: String?,
        clientCertificate: ClientCertificate? = nil,
        role: String? = nil
    ) -> String {
        var s = "request"
        s.reserveCapacity(160)
        if let clientCertificate {
            s += " cert_sha256=" + LogEscaping.value(clientCertificate.thumbprintSHA256)
            s += " cert_subject=" + LogEscaping.value(clientCertificate.subject)
        }
        if let clientId { s += " client_id=" + LogEscaping.value(clientId) }
        if let errorCode { s += " error=" + LogEscaping.value(errorCode) }
        s += " method=" + LogEscaping.value(method)
        s += " path=" + LogEscaping.value(path)
        s += " remote=" + LogEscaping.value(remote)
        s += " request_id=" + LogEscaping.value(requestId)
        if let role { s += " role=" + LogEscaping.value(role) }
        s += " status=" + String(status)
        if let tokenFingerprint { s += " token_sha256=" + LogEscaping.value(tokenFingerprint) }
        s += " us=" + String(micros)
        return s
    }
}
