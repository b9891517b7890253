public import CredVendCore
import Foundation

/// The TES worker's local endpoint. `GET /2016-11-01/credentialprovider/` answers the
/// container-credentials shape `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`
/// to callers whose `Authorization` header is the authz token (401 without the header,
/// 403 with another value), 503 `unavailable` while there are no valid credentials. Errors
/// are `{"code", "message"}`, the shape the AWS SDKs read from such an endpoint.
/// `GET /healthz`: 200 while valid credentials are served, else 503, with no secret.
/// Never blocks: the worker's state is read under a lock, the token compared as a digest.
public struct TESHandler: HTTPHandler {
    public static let credentialsPath = "/2016-11-01/credentialprovider/"
    private static let noStore: HTTPHeaders = ["Cache-Control": "no-store"]
    private let token: TESAuthToken
    private let serving: @Sendable () -> TESServing

    public init(token: TESAuthToken, serving: @escaping @Sendable () -> TESServing) {
        self.token = token
        self.serving = serving
    }

    public func handle(_ request: HTTPRequest) -> HandlerResult {
        let isGet = request.method == "GET" || request.method == "HEAD"
        switch request.path {
        case Self.credentialsPath, String(Self.credentialsPath.dropLast()):
            guard isGet else { return .respond(APIError.methodNotAllowed(["GET"]).containerCredentialsResponse) }
            guard let presented = request.headers["authorization"], !presented.isEmpty else {
                return .respond(
                    APIError(
                        status: 401,
                        code: "unauthorized",
                        message:
                            "send the token from the authz token file in the Authorization header (AWS_CONTAINER_AUTHORIZATION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)"
                    ).containerCredentialsResponse
                )
            }
            guard token.accepts(presented) else {
                return .respond(
                    APIError(
                        status: 403,
                        code: "access_denied",
                        message: "the Authorization header is not the token in the authz token file"
                    ).containerCredentialsResponse
                )
            }
            switch serving() {
            case .credentials(let c):
                return .respond(.json(bytes: ContainerCredentials.render(c), headers: Self.noStore))
            case .unavailable(let reason):
                return .respond(APIError.unavailable(reason).containerCredentialsResponse)
            }
        case "/healthz":
            guard isGet else { return .respond(APIError.methodNotAllowed(["GET"]).containerCredentialsResponse) }
            let body: String
            let status: Int
            switch serving() {
            case .credentials(let c):
                status = 200
                body = "{\"status\":\"ok\",\"expiration\":\(JSONText.quote(c.expiration.map(ISO8601.string) ?? ""))}"
            case .unavailable(let reason):
                status = 503
                body = "{\"status\":\"unavailable\",\"message\":\(JSONText.quote(reason))}"
            }
            return .respond(.json(status: status, bytes: Array(body.utf8), headers: Self.noStore))
        default:
            return .respond(APIError.notFound.containerCredentialsResponse)
        }
    }
}
