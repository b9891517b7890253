/// The access-log message of one request (docs/reference.md#access-log): `request` and its fields as
/// `key=value`, in the sorted key order the line handler uses for metadata, built
/// as one string so that no metadata dictionary is made and sorted per request.
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
        clientCertificate: ClientCertificate? = nil
    ) -> String {
        var s = "request"
        s.reserveCapacity(160)
        if let clientCertificate {
            s += " cert_sha256=" + clientCertificate.thumbprintSHA256
            s += " cert_subject=" + clientCertificate.subject
        }
        if let clientId { s += " client_id=" + clientId }
        if let errorCode { s += " error=" + errorCode }
        s += " method=" + method
        s += " path=" + path
        s += " remote=" + remote
        s += " request_id=" + requestId
        s += " status=" + String(status)
        if let tokenFingerprint { s += " token_sha256=" + tokenFingerprint }
        s += " us=" + String(micros)
        return s
    }
}
