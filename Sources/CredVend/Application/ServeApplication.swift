public import CredVendCore
import Dispatch
import Foundation
public import Logging

/// Routes `credvend serve`'s HTTP requests, keeps the access log, the audit log of
/// vending decisions and request metrics; blocking work (STS calls on `STSCallPool`, a
/// JWKS refresh) answers deferred requests from its own threads.
public final class ServeApplication: HTTPHandler, Sendable {
    let vending: VendingService
    let readiness: @Sendable () -> [String]
    let metrics: ServerMetrics
    let logger: Logger
    let admin: (any HTTPHandler)?
    let audit: AuditLog?
    let auditRequired: Bool
    let clock: any WallClock

    public init(
        vending: VendingService,
        readiness: @escaping @Sendable () -> [String],
        metrics: ServerMetrics,
        logger: Logger,
        admin: (any HTTPHandler)? = nil,
        audit: AuditLog? = nil,
        auditRequired: Bool = false,
        clock: any WallClock = SystemClock()
    ) {
        self.clock = clock
        self.vending = vending
        self.readiness = readiness
        self.metrics = metrics
        self.logger = logger
        self.admin = admin
        self.audit = audit
        self.auditRequired = auditRequired
    }

    public func handle(_ request: HTTPRequest) -> HandlerResult {
        let started = DispatchTime.now().uptimeNanoseconds
        switch (request.path, request.method) {
        case ("/v1/credentials", "POST"):
            if request.bodyTooLarge { return finish(request, VendOutcome(.payloadTooLarge), started, audited: true) }
            switch vending.vend(
                body: request.body,
                authorization: request.headers["authorization"],
                isTLS: request.isTLS,
                clientCertificate: request.clientCertificate
            ) {
            case .now(let outcome):
                return finish(request, outcome, started, audited: true)
            case .later(let work):
                return .deferred { [self] responder in
                    work.start { outcome in
                        responder.respond(self.finishResponse(request, outcome, started, audited: true))
                    }
                }
            }
        case ("/v1/credentials", _):
            return finish(request, VendOutcome(.methodNotAllowed(["POST"])), started)
        case ("/healthz", "GET"), ("/healthz", "HEAD"):
            return plain(request, json(200, "{\"status\":\"ok\"}"), started)
        case ("/readyz", "GET"), ("/readyz", "HEAD"):
            let missing = readiness()
            if missing.isEmpty { return plain(request, json(200, "{\"status\":\"ready\"}"), started) }
            let list = missing.map(JSONText.quote).joined(separator: ",")
            return plain(
                request,
                json(503, "{\"status\":\"not ready\",\"missing\":[\(list)]}", [("Retry-After", "5")]),
                started
            )
        case ("/metrics", "GET"):
            return plain(
                request,
                HTTPResponse(
                    status: 200,
                    headers: ["Content-Type": "text/plain; version=0.0.4"],
                    body: Array(metrics.render().utf8)
                ),
                started
            )
        case ("/healthz", _), ("/readyz", _), ("/metrics", _):
            return plain(request, APIError.methodNotAllowed(["GET"]).response, started)
        default:
            if let admin, request.path.hasPrefix("/admin/") { return admin.handle(request) }
            return plain(request, APIError.notFound.response, started)
        }
    }

    private func json(_ status: Int, _ body: String, _ extra: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: HTTPHeaders([("Content-Type", "application/json"), ("Cache-Control", "no-store")] + extra),
            body: Array(body.utf8)
        )
    }

    private func plain(_ request: HTTPRequest, _ response: HTTPResponse, _ started: UInt64) -> HandlerResult {
        var outcome = VendOutcome(.notFound)
        outcome.response = response
        outcome.errorCode = nil
        return finish(request, outcome, started)
    }

    private func finish(
        _ request: HTTPRequest,
        _ outcome: VendOutcome,
        _ started: UInt64,
        audited: Bool = false
    ) -> HandlerResult {
        .respond(finishResponse(request, outcome, started, audited: audited))
    }

    /// Audit record (for a vending decision), access log line and metrics for one
    /// answered request. With `--audit-required`, a decision whose audit record cannot
    /// be written is answered 503 instead.
    func finishResponse(
        _ request: HTTPRequest,
        _ outcome: VendOutcome,
        _ started: UInt64,
        audited: Bool = false
    ) -> HTTPResponse {
        let requestId = RequestID.next()
        guard audited else { return logged(request, outcome, started, requestId) }
        var outcome = outcome
        if let audit, !audit.write(auditRecord(request, outcome, requestId).line), auditRequired {
            outcome.response =
                APIError.unavailable("the audit record of this request could not be written; try again later")
                .response
            outcome.errorCode = "unavailable"
        }
        // Ties the client's answer to the access-log line and the audit record.
        outcome.response.headers.set("X-Request-Id", requestId)
        return logged(request, outcome, started, requestId)
    }

    /// The access log line and the request metrics; the response as it goes out.
    private func logged(
        _ request: HTTPRequest,
        _ outcome: VendOutcome,
        _ started: UInt64,
        _ requestId: String
    ) -> HTTPResponse {
        let micros = (DispatchTime.now().uptimeNanoseconds - started) / 1000
        let route = ServerMetrics.routes.contains(request.path) ? request.path : "other"
        metrics.recordRequest(route: route, status: outcome.response.status, seconds: Double(micros) / 1_000_000)
        let line = AccessLogLine.message(
            method: request.method,
            path: request.path,
            status: outcome.response.status,
            micros: micros,
            remote: request.remoteAddress,
            requestId: requestId,
            clientId: outcome.clientId,
            tokenFingerprint: outcome.tokenFingerprint,
            errorCode: outcome.errorCode,
            clientCertificate: request.clientCertificate,
            role: outcome.roleName
        )
        logger.info(Logger.Message(stringLiteral: line))  // the line itself, not an interpolated copy
        return outcome.response
    }

    private func auditRecord(_ request: HTTPRequest, _ outcome: VendOutcome, _ requestId: String) -> VendAuditRecord {
        VendAuditRecord(
            time: clock.now(),
            requestId: requestId,
            clientId: outcome.clientId,
            roleName: outcome.roleName,
            roleArn: outcome.mapping?.roleArn,
            roleSessionName: outcome.mapping.map {
                RoleSessionName.make(serverName: $0.serverName, clientId: $0.clientId)
            },
            source: request.remoteAddress,
            status: outcome.response.status,
            errorCode: outcome.errorCode,
            token: outcome.tokenId,
            clientCertificate: request.clientCertificate
        )
    }
}
