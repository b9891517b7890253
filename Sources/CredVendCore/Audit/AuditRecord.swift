public import Foundation

/// One vending decision (every `POST /v1/credentials`), as one audit line.
public struct VendAuditRecord: Sendable {
    public var time: Date
    public var requestId: String
    public var clientId: String?
    /// The role asked for (`default` for the record's own), nil before the token was verified.
    public var roleName: String?
    public var roleArn: String?
    public var roleSessionName: String?
    /// `IP:port` of the peer.
    public var source: String
    public var status: Int
    public var errorCode: String?
    public var token: AuditTokenID?
    /// The verified client certificate of the TLS connection, nil without one.
    public var clientCertificate: ClientCertificate?

    public init(
        time: Date,
        requestId: String,
        clientId: String?,
        roleName: String? = nil,
        roleArn: String?,
        roleSessionName: String?,
        source: String,
        status: Int,
        errorCode: String?,
        token: AuditTokenID?,
        clientCertificate: ClientCertificate? = nil
    ) {
        self.time = time
        self.requestId = requestId
        self.clientId = clientId
        self.roleName = roleName
        self.roleArn = roleArn
        self.roleSessionName = roleSessionName
        self.source = source
        self.status = status
        self.errorCode = errorCode
        self.token = token
        self.clientCertificate = clientCertificate
    }

    /// `{"time":...,"type":"vend",...}` and a newline; fields in a fixed order, absent ones `null`.
    public var line: String {
        var out = AuditJSON()
        out.field("time", AuditJSON.time(time))
        out.field("type", "vend")
        out.field("request_id", requestId)
        out.field("client_id", clientId)
        out.field("role_name", roleName)
        out.field("role_arn", roleArn)
        out.field("role_session_name", roleSessionName)
        out.field("source", source)
        out.raw("status", String(status))
        out.field("error", errorCode)
        out.field("token_id", token?.hex)
        out.field("token_id_from", token?.source.rawValue)
        out.field("client_cert_sha256", clientCertificate?.thumbprintSHA256)
        out.field("client_cert_subject", clientCertificate?.subject)
        return out.finish()
    }
}

/// One change to the role store made through the admin API: who, which route, which
/// client_id, and the record before and after (`null` when there was none).
public struct AdminAuditRecord: Sendable {
    public var time: Date
    public var requestId: String
    public var caller: AdminCaller
    /// e.g. `PUT /admin/v1/roles/{client_id}`.
    public var route: String
    public var clientId: String
    public var status: Int
    public var before: RoleMapping?
    public var after: RoleMapping?

    public init(
        time: Date,
        requestId: String,
        caller: AdminCaller,
        route: String,
        clientId: String,
        status: Int,
        before: RoleMapping?,
        after: RoleMapping?
    ) {
        self.time = time
        self.requestId = requestId
        self.caller = caller
        self.route = route
        self.clientId = clientId
        self.status = status
        self.before = before
        self.after = after
    }

    public var line: String {
        var out = AuditJSON()
        out.field("time", AuditJSON.time(time))
        out.field("type", "admin_change")
        out.field("request_id", requestId)
        switch caller {
        case .socket:
            out.raw("caller", "{\"via\":\"socket\"}")
        case .token(let role, let prefix):
            out.raw(
                "caller",
                "{\"via\":\"token\",\"role\":\(LogEscaping.jsonString(role.rawValue)),"
                    + "\"token_sha256_prefix\":\(LogEscaping.jsonString(prefix))}"
            )
        }
        out.field("route", route)
        out.field("client_id", clientId)
        out.raw("status", String(status))
        out.raw("before", before.map { RoleMappingJSON.encode($0, quote: LogEscaping.jsonString) } ?? "null")
        out.raw("after", after.map { RoleMappingJSON.encode($0, quote: LogEscaping.jsonString) } ?? "null")
        return out.finish()
    }
}

/// A JSON object written field by field, in order, on one line: its strings are escaped by
/// `LogEscaping.jsonString`, so a record is one line of ASCII whatever a client sent.
struct AuditJSON {
    private var text = "{"
    private var empty = true

    mutating func raw(_ name: String, _ json: String) {
        if !empty { text += "," }
        empty = false
        text += "\"" + name + "\":" + json
    }

    mutating func field(_ name: String, _ value: String?) {
        raw(name, value.map(LogEscaping.jsonString) ?? "null")
    }

    func finish() -> String { text + "}\n" }

    /// `2026-11-24T23:31:37.123Z`: UTC, milliseconds.
    static func time(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let millis = min(999, Int((date.timeIntervalSince1970 - seconds) * 1000))
        let base = ISO8601.string(Date(timeIntervalSince1970: seconds))
        return String(base.dropLast()) + "." + String(millis).leftPadded(to: 3) + "Z"
    }
}
