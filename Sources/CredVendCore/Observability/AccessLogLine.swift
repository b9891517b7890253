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
        // Bytes, each value escaped straight into them, and one String at the end: appending
        // to a String checks and grows it per part, which cost twice as much.
        var s: [UInt8] = []
        s.reserveCapacity(256)
        s.append(contentsOf: "request".utf8)
        func field(_ key: String, _ value: String) {
            s.append(contentsOf: key.utf8)
            LogEscaping.appendValue(value, to: &s)
        }
        func number(_ key: String, _ value: UInt64) {
            s.append(contentsOf: key.utf8)
            s.append(contentsOf: String(value).utf8)
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
        number(" status=", UInt64(max(0, status)))
        if let tokenFingerprint { field(" token_sha256=", tokenFingerprint) }
        number(" us=", micros)
        return String(decoding: s, as: UTF8.self)
    }
}
