public import CredVendCore
import CredVendStore
import Dispatch
import Foundation
public import Logging

/// Serves the admin API on one transport. Every request goes the same way:
/// 1. who is calling: the Unix socket (its file permissions already decided) or a
///    bearer token from the token file (401 otherwise);
/// 2. may they: `AdminPolicy` decides from its route table, before any handler runs;
/// 3. the operation (`AdminAPI`), writes one at a time on a queue of their own;
/// 4. one audit record per changed role record, then the access-log line and metrics.
public final class AdminHandler: HTTPHandler {
    public enum Authentication: Sendable {
        /// `--admin-socket`: the caller acts as admin.
        case socket
        /// `--admin-token-file` on the main listener.
        case bearer(AdminTokenStore)
    }

    private let api: AdminAPI
    private let authentication: Authentication
    private let policy: AdminPolicy
    private let audit: AuditLog?
    private let auditRequired: Bool
    private let metrics: ServerMetrics?
    private let logger: Logger

    public init(
        api: AdminAPI,
        authentication: Authentication,
        policy: AdminPolicy = .standard,
        audit: AuditLog?,
        auditRequired: Bool,
        metrics: ServerMetrics?,
        logger: Logger
    ) {
        self.api = api
        self.authentication = authentication
        self.policy = policy
        self.audit = audit
        self.auditRequired = auditRequired
        self.metrics = metrics
        self.logger = logger
    }

    public func handle(_ request: HTTPRequest) -> HandlerResult {
        let started = DispatchTime.now().uptimeNanoseconds
        let requestId = RequestID.next()
        let caller: AdminCaller
        switch authentication {
        case .socket:
            caller = .socket
        case .bearer(let tokens):
            switch tokens.authenticate(authorization: request.headers["authorization"]) {
            case .caller(let c): caller = c
            case .missing:
                return .respond(finish(request, requestId, nil, Self.unauthorized(invalid: false), started))
            case .invalid:
                return .respond(finish(request, requestId, nil, Self.unauthorized(invalid: true), started))
            }
        }
        switch policy.decide(method: request.method, path: request.path, role: caller.role) {
        case .deny(let error):
            return .respond(finish(request, requestId, caller, error.response, started))
        case .allow(let rule, let parameters):
            if request.bodyTooLarge {
                let tooLarge = APIError(
                    status: 413,
                    code: "payload_too_large",
                    message: "the request body is larger than this listener accepts; "
                        + "send large imports over the admin socket"
                )
                return .respond(finish(request, requestId, caller, tooLarge.response, started))
            }
            let run: @Sendable () -> HTTPResponse = { [self] in
                var outcome = api.perform(rule.route, parameters: parameters, request: request)
                if !writeAudit(outcome, rule: rule, caller: caller, requestId: requestId) && auditRequired {
                    outcome.response =
                        APIError.unavailable(
                            "the change was applied but its audit record could not be written (--audit-required); "
                                + "fix the audit log, then repeat the request"
                        ).response
                }
                return finish(request, requestId, caller, outcome.response, started)
            }
            guard rule.route.isWrite else { return .respond(run()) }
            return .deferred { [api] responder in api.writes.async { responder.respond(run()) } }
        }
    }

    /// One record per changed client_id; false when any could not be written.
    private func writeAudit(
        _ outcome: AdminOutcome,
        rule: AdminRouteRule,
        caller: AdminCaller,
        requestId: String
    ) -> Bool {
        guard let audit, !outcome.changes.isEmpty else { return true }
        let now = Date()
        var ok = true
        for change in outcome.changes {
            let record = AdminAuditRecord(
                time: now,
                requestId: requestId,
                caller: caller,
                route: rule.name,
                clientId: change.clientId,
                status: outcome.response.status,
                before: change.before,
                after: change.after
            )
            if !audit.write(record.line) { ok = false }
        }
        return ok
    }

    private func finish(
        _ request: HTTPRequest,
        _ requestId: String,
        _ caller: AdminCaller?,
        _ response: HTTPResponse,
        _ started: UInt64
    ) -> HTTPResponse {
        var response = response
        response.headers.set("X-Request-Id", requestId)
        let micros = (DispatchTime.now().uptimeNanoseconds - started) / 1000
        metrics?.recordRequest(route: "/admin", status: response.status, seconds: Double(micros) / 1_000_000)
        logger.info(
            "admin request",
            metadata: [
                "method": "\(request.method)", "path": "\(request.path)", "status": "\(response.status)",
                "us": "\(micros)",
                "remote": "\(request.remoteAddress)", "caller": "\(caller?.logValue ?? "unauthenticated")",
                "request_id": "\(requestId)",
            ]
        )
        return response
    }

    static func unauthorized(invalid: Bool) -> HTTPResponse {
        let realm = "Bearer realm=\"credvend-admin\""
        if invalid {
            return APIError(
                status: 401,
                code: "invalid_token",
                message: "the bearer token is not listed in the admin token file",
                headers: [("WWW-Authenticate", realm + ", error=\"invalid_token\"")]
            ).response
        }
        return APIError(
            status: 401,
            code: "unauthorized",
            message: "the admin API needs Authorization: Bearer <admin token>",
            headers: [("WWW-Authenticate", realm)]
        ).response
    }
}
