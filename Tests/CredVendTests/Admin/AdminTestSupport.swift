import Foundation
import Logging

@testable import CredVend
@testable import CredVendCore
@testable import CredVendStore

/// An admin API over a fresh store in a temp dir, with a credential cache and a log ring.
struct AdminFixture {
    let tmp = TempDir()
    let store: RoleStore
    let cache: CredentialCache
    let ring = LogRing(capacity: 2000)
    let api: AdminAPI

    /// `rolesTable`: as `serve --roles-table` makes it, over `store` and `cache` (the sync's).
    init(
        store existing: RoleStore? = nil,
        cache existingCache: CredentialCache? = nil,
        rolesTable: AdminRoleTable? = nil
    ) throws {
        let store = try existing ?? RoleStore(directory: tmp.sub("db"))
        self.store = store
        let cache = existingCache ?? CredentialCache(refreshBuffer: 900)
        self.cache = cache
        api = AdminAPI(
            roles: store,
            cache: cache,
            logRing: ring,
            rolesTable: rolesTable,
            info: {
                AdminInfo(
                    startedAt: Date(timeIntervalSince1970: 1000),
                    now: Date(timeIntervalSince1970: 1100),
                    issuer: "https://issuer.example",
                    jwksSource: "url",
                    jwksLocation: "https://issuer.example/jwks",
                    jwksKeyIds: ["k1", "k2"],
                    jwksFetchedAt: Date(timeIntervalSince1970: 1001),
                    jwksLastAttempt: nil,
                    jwksLastOutcome: "success",
                    roleStorePath: "/db",
                    roleCount: try? store.count,
                    cacheEntries: cache.count,
                    sourceOrigin: "environment",
                    sourceExpiration: nil,
                    sourceLoaded: true,
                    adminSocket: "/run/admin.sock",
                    adminTokenFile: nil,
                    adminTokens: nil,
                    auditLog: nil,
                    auditRequired: false,
                    auditWriteFailures: 0
                )
            }
        )
    }

    /// Puts an entry for `mapping` into the credential cache, as a vend would.
    func cacheCredentials(for mapping: RoleMapping) {
        let now = Date()
        cache.load(
            mapping: mapping,
            now: now,
            fetch: {
                .success(
                    AWSCredentials(
                        accessKeyId: "ASIATEST",
                        secretAccessKey: "s",
                        sessionToken: "t",
                        expiration: now.addingTimeInterval(3600)
                    )
                )
            },
            completion: { _ in }
        )
    }

    func handler(
        _ authentication: AdminHandler.Authentication,
        audit: AuditLog? = nil,
        auditRequired: Bool = false
    ) -> AdminHandler {
        AdminHandler(
            api: api,
            authentication: authentication,
            audit: audit,
            auditRequired: auditRequired,
            metrics: ServerMetrics(),
            logger: Logger(label: "test")
        )
    }
}

func request(_ method: String, _ target: String, body: String = "", authorization: String? = nil) -> HTTPRequest {
    let parts = target.split(separator: "?", maxSplits: 1)
    var headers = HTTPHeaders()
    if let authorization { headers.add("Authorization", authorization) }
    return HTTPRequest(
        method: method,
        path: String(parts[0]),
        queryString: parts.count > 1 ? String(parts[1]) : "",
        headers: headers,
        body: Array(body.utf8),
        remoteAddress: "127.0.0.1:1"
    )
}

extension HTTPResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
    var object: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
}
