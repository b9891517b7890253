import Dispatch
import Foundation
import Logging

/// Routes `credvend serve`'s HTTP requests, keeps the access log and request
/// metrics, and runs blocking work (STS, JWKS refresh) off the HTTP threads.
public final class ServeApplication: HTTPHandler, Sendable {
    let vending: VendingService
    let readiness: @Sendable () -> [String]
    let metrics: ServerMetrics
    let logger: Logger
    let admin: (any HTTPHandler)?
    private let upstream = DispatchQueue(label: "credvend.upstream", attributes: .concurrent)

    public init(vending: VendingService, readiness: @escaping @Sendable () -> [String], metrics: ServerMetrics,
                logger: Logger, admin: (any HTTPHandler)? = nil) {
        self.vending = vending
        self.readiness = readiness
        self.metrics = metrics
        self.logger = logger
        self.admin = admin
    }

    public func handle(_ request: HTTPRequest) -> HandlerResult {
        let started = DispatchTime.now().uptimeNanoseconds
        switch (request.path, request.method) {
        case ("/v1/credentials", "POST"):
            if request.bodyTooLarge { return finish(request, VendOutcome(.payloadTooLarge), started) }
            switch vending.vend(body: request.body, authorization: request.headers["authorization"]) {
            case .now(let outcome):
                return finish(request, outcome, started)
            case .later(let work):
                return .deferred { [self] responder in
                    upstream.async {
                        responder.respond(self.finishResponse(request, work(), started))
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
            return plain(request, json(503, "{\"status\":\"not ready\",\"missing\":[\(list)]}", [("Retry-After", "5")]), started)
        case ("/metrics", "GET"):
            return plain(request, HTTPResponse(status: 200, headers: ["Content-Type": "text/plain; version=0.0.4"],
                                               body: Array(metrics.render().utf8)), started)
        case ("/healthz", _), ("/readyz", _), ("/metrics", _):
            return plain(request, APIError.methodNotAllowed(["GET"]).response, started)
        default:
            if let admin, request.path.hasPrefix("/admin/") { return admin.handle(request) }
            return plain(request, APIError.notFound.response, started)
        }
    }

    private func json(_ status: Int, _ body: String, _ extra: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(status: status,
                     headers: HTTPHeaders([("Content-Type", "application/json"), ("Cache-Control", "no-store")] + extra),
                     body: Array(body.utf8))
    }

    private func plain(_ request: HTTPRequest, _ response: HTTPResponse, _ started: UInt64) -> HandlerResult {
        var outcome = VendOutcome(.notFound)
        outcome.response = response
        outcome.errorCode = nil
        return finish(request, outcome, started)
    }

    private func finish(_ request: HTTPRequest, _ outcome: VendOutcome, _ started: UInt64) -> HandlerResult {
        .respond(finishResponse(request, outcome, started))
    }

    /// Access log line and metrics for one answered request.
    func finishResponse(_ request: HTTPRequest, _ outcome: VendOutcome, _ started: UInt64) -> HTTPResponse {
        let micros = (DispatchTime.now().uptimeNanoseconds - started) / 1000
        let route = ServerMetrics.routes.contains(request.path) ? request.path : "other"
        metrics.recordRequest(route: route, status: outcome.response.status, seconds: Double(micros) / 1_000_000)
        var meta: Logger.Metadata = ["method": "\(request.method)", "path": "\(request.path)",
                                     "status": "\(outcome.response.status)", "us": "\(micros)",
                                     "remote": "\(request.remoteAddress)"]
        if let c = outcome.clientId { meta["client_id"] = "\(c)" }
        if let f = outcome.tokenFingerprint { meta["token_sha256"] = "\(f)" }
        if let e = outcome.errorCode { meta["error"] = "\(e)" }
        logger.info("request", metadata: meta)
        return outcome.response
    }
}
