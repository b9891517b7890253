public import CredVendCore
import CredVendSync
import Foundation
public import Logging

/// One agent socket's API: `AgentSocketPolicy` decides, and a request it allows is
/// answered from the agent's cache or, when the cached credentials are within the
/// refresh buffer of expiry, through `fetch` (one fetch per selection at a time).
/// Every request is logged with the caller's uid, gid and pid; never a secret.
public final class AgentHandler: HTTPHandler {

    private let socketPath: String
    private let policy: AgentSocketPolicy
    private let cache: AgentCredentialCache
    private let logger: Logger

    public init(socketPath: String, policy: AgentSocketPolicy, cache: AgentCredentialCache, logger: Logger) {
        self.socketPath = socketPath
        self.policy = policy
        self.cache = cache
        self.logger = logger
    }

    public func handle(_ request: HTTPRequest) -> HandlerResult {
        switch policy.decide(request) {
        case .failure(let refusal):
            log(request, status: refusal.status, role: request.query["role"] ?? policy.defaultRole, refusal.message)
            return .respond(.error(status: refusal.status, code: refusal.code, message: refusal.message))
        case .success(let (endpoint, selection)):
            if let fresh = cache.fresh(selection) {
                return .respond(answer(request, endpoint, selection, fresh, fromCache: true))
            }
            return .deferred { [self] responder in
                Thread.detachNewThread {
                    switch self.cache.refresh(selection) {
                    case .success(let record):
                        responder.respond(self.answer(request, endpoint, selection, record, fromCache: false))
                    case .failure(let error):
                        let status = error.kind == .exchange ? 403 : 502
                        self.log(request, status: status, role: selection.roleName, error.message)
                        responder.respond(
                            .error(
                                status: status,
                                code: status == 403 ? "access_denied" : "upstream_error",
                                message: error.message
                            )
                        )
                    }
                }
            }
        }
    }

    private func answer(
        _ request: HTTPRequest,
        _ endpoint: AgentEndpoint,
        _ selection: VendingSelection,
        _ record: CachedCredentials,
        fromCache: Bool
    ) -> HTTPResponse {
        log(
            request,
            status: 200,
            role: selection.roleName,
            nil,
            extra: [
                "access_key_id": "\(record.credentials.accessKeyId)", "cached": "\(fromCache)",
                "selection": "\(selection)",
            ]
        )
        let body =
            endpoint == .credentialProcess
            ? CredentialProcessOutput.render(record.credentials) : ContainerCredentials.render(record.credentials)
        var headers = HTTPHeaders()
        headers.add("Cache-Control", "no-store")
        return .json(status: 200, bytes: body, headers: headers)
    }

    private func log(
        _ request: HTTPRequest,
        status: Int,
        role: String,
        _ message: String?,
        extra: Logger.Metadata = [:]
    ) {
        var metadata: Logger.Metadata = [
            "socket": "\(socketPath)", "method": "\(request.method)", "path": "\(request.path)",
            "role": "\(role)", "status": "\(status)",
        ]
        if let peer = request.peerCredentials {
            metadata["uid"] = "\(peer.uid)"
            metadata["gid"] = "\(peer.gid)"
            metadata["pid"] = "\(peer.pid)"
        }
        if let message { metadata["error"] = "\(message)" }
        metadata.merge(extra) { a, _ in a }
        logger.info(status == 200 ? "credentials served" : "request refused", metadata: metadata)
    }
}
