import Testing

@testable import CredVendCore

@Suite struct AdminPolicyTests {
    let policy = AdminPolicy.standard

    func allowed(_ method: String, _ path: String, _ role: AdminRole) -> AdminRoute? {
        if case .allow(let rule, _) = policy.decide(method: method, path: path, role: role) { return rule.route }
        return nil
    }

    func status(_ decision: AdminDecision) -> Int? {
        if case .deny(let error) = decision { return error.status }
        return nil
    }

    @Test func readersReadAndAdminsWrite() {
        for role in AdminRole.allCases {
            #expect(allowed("GET", "/admin/v1/roles", role) == .listRoles)
            #expect(allowed("GET", "/admin/v1/roles/app-01", role) == .getRole)
            #expect(allowed("GET", "/admin/v1/info", role) == .info)
            #expect(allowed("GET", "/admin/v1/logs", role) == .logs)
        }
        #expect(allowed("PUT", "/admin/v1/roles/app-01", .admin) == .putRole)
        #expect(allowed("DELETE", "/admin/v1/roles/app-01", .admin) == .deleteRole)
        #expect(allowed("POST", "/admin/v1/roles:import", .admin) == .importRoles)
    }

    @Test func aReaderThatWritesIs403() {
        for (method, path) in [
            ("PUT", "/admin/v1/roles/app-01"), ("DELETE", "/admin/v1/roles/app-01"),
            ("POST", "/admin/v1/roles:import"),
        ] {
            let decision = policy.decide(method: method, path: path, role: .reader)
            #expect(status(decision) == 403)
            if case .deny(let e) = decision { #expect(e.code == "forbidden" && e.message.contains("admin role")) }
        }
    }

    @Test func unlistedPathsAre404AndOtherMethods405() {
        for path in [
            "/admin/v1/role", "/admin/v1/roles/", "/admin/v1/roles/a/b", "/admin/v2/info", "/admin/",
            "/admin/v1/info/x",
        ] {
            #expect(status(policy.decide(method: "GET", path: path, role: .admin)) == 404, "\(path)")
        }
        let decision = policy.decide(method: "POST", path: "/admin/v1/roles/app-01", role: .admin)
        #expect(status(decision) == 405)
        if case .deny(let e) = decision {
            #expect(e.headers.first { $0.0 == "Allow" }?.1 == "GET, PUT, DELETE")
        }
        #expect(status(policy.decide(method: "HEAD", path: "/admin/v1/info", role: .admin)) == 405)
    }

    @Test func aRouteMissingFromTheTableIsDeniedEvenToAdmins() {
        let partial = AdminPolicy(rules: policy.rules.filter { $0.route != .deleteRole })
        let decision = partial.decide(method: "DELETE", path: "/admin/v1/roles/app-01", role: .admin)
        #expect(status(decision) == 405)  // the path is listed for GET and PUT only
        let none = AdminPolicy(rules: [])
        for rule in policy.rules {
            #expect(status(none.decide(method: rule.method, path: rule.pattern, role: .admin)) == 404)
        }
    }

    @Test func parametersAreTakenFromThePath() {
        guard
            case .allow(let rule, let parameters) = policy.decide(
                method: "PUT",
                path: "/admin/v1/roles/a+b=c@d",
                role: .admin
            )
        else {
            Issue.record("denied")
            return
        }
        #expect(rule.name == "PUT /admin/v1/roles/{client_id}")
        #expect(parameters == ["client_id": "a+b=c@d"])
    }

    @Test func everyRouteIsInTheTableAndEveryWriteNeedsAdmin() {
        #expect(Set(policy.rules.map(\.route)) == Set(AdminRoute.allCases))
        for rule in policy.rules {
            #expect(rule.route.isWrite == (rule.requires == .admin), "\(rule.name)")
            #expect(rule.route.isWrite == (rule.method != "GET"), "\(rule.name)")
        }
    }

    @Test func rolesOrder() {
        #expect(AdminRole.admin.satisfies(.reader))
        #expect(AdminRole.admin.satisfies(.admin))
        #expect(AdminRole.reader.satisfies(.reader))
        #expect(!AdminRole.reader.satisfies(.admin))
        #expect(AdminCaller.socket.role == .admin)
        #expect(AdminCaller.token(role: .reader, tokenHashPrefix: "ab12cd34").logValue == "token:reader:ab12cd34")
    }
}
