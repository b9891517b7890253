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
        s.reserveCapacity(192)
        // Each part appended on its own: `s += " k=" + v` would build a temporary string per field.
        func field(_ key: String, _ value: String) {
            s += key
            s += LogEscaping.value(value)
        }
        if let clientCertificate {
            field(" cert_sha256=", clientCertificate.thumbprintSHA256)
            field(" cert_subject=", clientCertificate.subject)
        }
        if let clientId { field(" client_id=", clientId) }
        if let errorCode { field(" error=", errorCode) }
        field(" method=", method)
        field(" path=", path)
        field(" remote=", remote)
        field(" request_id=", requestId)
        if let role { field(" role=", role) }
        s += " status="
        s += String(status)
        if let tokenFingerprint { field(" token_sha256=", tokenFingerprint) }
        s += " us="
        s += String(micros)
        return s
    }
}
