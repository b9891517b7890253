public import CredVendCore

/// Every metric `credvend serve` exposes on /metrics, with fixed dimensions.
public final class ServerMetrics: HTTPServerObserver, Sendable {
    /// Routes are a closed set so the request counters are fixed arrays.
    public static let routes = ["/v1/credentials", "/healthz", "/readyz", "/metrics", "/admin", "other"]
    static let statuses = [200, 204, 400, 401, 403, 404, 405, 413, 500, 502, 503]

    private let requests: [[Counter]]
    private let otherStatus: [Counter]
    public let latency = Histogram(bounds: [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
        0.25, 0.5, 1, 2.5, 5, 10,
    ])
    public let stsCalls = LabeledCounters(labels: ["success", "throttled", "error", "network_error"])
    /// Requests the STS pool answered 503: its queue was full, the queue wait ran out, or STS kept throttling.
    public let stsShed = LabeledCounters(labels: ["queue_full", "queue_wait", "throttled"])
    /// Requests answered 502 from a remembered STS refusal, without an STS call.
    public let refusalsRemembered = Counter()
    public let cacheHits = Counter()
    public let cacheMisses = Counter()
    public let jwksRefreshes = LabeledCounters(labels: ["success", "failure"])
    public let auditWriteFailures = Counter()
    /// Connections the HTTP transport refused at accept or closed past the request deadline.
    public let connectionsRefused = LabeledCounters(labels: ConnectionRefusal.allCases.map(\.rawValue))
    /// Request heads the transport answered 400 for ambiguous framing.
    public let malformedRequests = Counter()
    /// TLS handshakes by outcome (a TLS listener only).
    public let tlsHandshakes = LabeledCounters(labels: TLSHandshakeOutcome.allCases.map(\.rawValue))
    /// The `--roles-table` sync (rendered only when one runs).
    public let roleSync = RoleSyncMetrics()

    public init() {
        requests = Self.routes.map { _ in Self.statuses.map { _ in Counter() } }
        otherStatus = Self.routes.map { _ in Counter() }
    }

    public func recordRequest(route: String, status: Int, seconds: Double) {
        let r = Self.routes.firstIndex(of: route) ?? Self.routes.count - 1
        if let s = Self.statuses.firstIndex(of: status) {
            requests[r][s].increment()
        } else {
            otherStatus[r].increment()
        }
        latency.observe(seconds: seconds)
    }

    public func connectionRefused(_ reason: ConnectionRefusal) { connectionsRefused.increment(reason.rawValue) }

    public func malformedRequest() { malformedRequests.increment() }

    public func tlsHandshake(_ outcome: TLSHandshakeOutcome) { tlsHandshakes.increment(outcome.rawValue) }

    /// The Prometheus text exposition format, version 0.0.4.
    public func render() -> String {
        var out = "# HELP credvend_http_requests_total HTTP requests by route and status.\n"
        out += "# TYPE credvend_http_requests_total counter\n"
        for (r, route) in Self.routes.enumerated() {
            for (s, status) in Self.statuses.enumerated() where requests[r][s].current > 0 {
                out +=
                    "credvend_http_requests_total{route=\"\(route)\",status=\"\(status)\"} \(requests[r][s].current)\n"
            }
            if otherStatus[r].current > 0 {
                out += "credvend_http_requests_total{route=\"\(route)\",status=\"other\"} \(otherStatus[r].current)\n"
            }
        }
        out += "# HELP credvend_http_request_duration_seconds Request latency.\n"
        out += "# TYPE credvend_http_request_duration_seconds histogram\n"
        latency.render(name: "credvend_http_request_duration_seconds", into: &out)
        out +=
            "# HELP credvend_sts_calls_total STS AssumeRole attempts by outcome.\n# TYPE credvend_sts_calls_total counter\n"
        for l in stsCalls.labels { out += "credvend_sts_calls_total{outcome=\"\(l)\"} \(stsCalls.value(l))\n" }
        out +=
            "# HELP credvend_sts_shed_total Requests answered 503 by the STS pool, by reason.\n# TYPE credvend_sts_shed_total counter\n"
        for l in stsShed.labels { out += "credvend_sts_shed_total{reason=\"\(l)\"} \(stsShed.value(l))\n" }
        out +=
            "# HELP credvend_sts_refusals_remembered_total Requests answered 502 from a remembered STS refusal, without an STS call.\n"
        out +=
            "# TYPE credvend_sts_refusals_remembered_total counter\ncredvend_sts_refusals_remembered_total \(refusalsRemembered.current)\n"
        out += "# HELP credvend_credential_cache_hits_total Requests served from cached credentials.\n"
        out +=
            "# TYPE credvend_credential_cache_hits_total counter\ncredvend_credential_cache_hits_total \(cacheHits.current)\n"
        out += "# HELP credvend_credential_cache_misses_total Requests that needed an STS call.\n"
        out +=
            "# TYPE credvend_credential_cache_misses_total counter\ncredvend_credential_cache_misses_total \(cacheMisses.current)\n"
        out +=
            "# HELP credvend_jwks_refreshes_total JWKS fetches by outcome.\n# TYPE credvend_jwks_refreshes_total counter\n"
        for l in jwksRefreshes.labels {
            out += "credvend_jwks_refreshes_total{outcome=\"\(l)\"} \(jwksRefreshes.value(l))\n"
        }
        out += "# HELP credvend_audit_write_failures_total Audit records that could not be written.\n"
        out +=
            "# TYPE credvend_audit_write_failures_total counter\ncredvend_audit_write_failures_total \(auditWriteFailures.current)\n"
        out +=
            "# HELP credvend_connections_refused_total Connections refused at accept (limit, per_address) "
            + "or closed past the request deadline (deadline; idle when no byte came), or answered 503 when the server fell behind (behind).\n# TYPE credvend_connections_refused_total counter\n"
        for l in connectionsRefused.labels {
            out += "credvend_connections_refused_total{reason=\"\(l)\"} \(connectionsRefused.value(l))\n"
        }
        out += "# HELP credvend_http_malformed_requests_total Requests answered 400 for ambiguous framing.\n"
        out +=
            "# TYPE credvend_http_malformed_requests_total counter\ncredvend_http_malformed_requests_total \(malformedRequests.current)\n"
        out += "# HELP credvend_tls_handshakes_total TLS handshakes by outcome (ok, failed, client_cert_missing, "
        out += "client_cert_invalid).\n# TYPE credvend_tls_handshakes_total counter\n"
        for l in tlsHandshakes.labels {
            out += "credvend_tls_handshakes_total{outcome=\"\(l)\"} \(tlsHandshakes.value(l))\n"
        }
        roleSync.render(into: &out)
        return out
    }
}
