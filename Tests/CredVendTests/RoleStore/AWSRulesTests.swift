import Testing

@testable import CredVend
@testable import CredVendCore

/// Each shared rule gives the same verdict to every caller, and each caller
/// names its own field, variable or flag.
@Suite struct AWSRulesTests {
    private static let auth0: [String: String] = [
        "IDP_TYPE": "auth0", "AUTH0_DOMAIN": "tenant.eu.auth0.com", "AUTH0_CLIENT_ID": "abc",
        "AUTH0_CLIENT_SECRET": "s3cret-value", "AUTH0_AUDIENCE": "https://api.example.com", "AWS_ROLE_ARN": Sample.arn,
    ]

    /// The client's message about `variable` set to `value`, nil when it takes it.
    private func clientProblem(_ variable: String, _ value: String) -> String? {
        let env = Self.auth0.merging([variable: value]) { $1 }
        do {
            _ = try ClientConfigResolver.resolve(ClientConfigSources(environment: env))
            return nil
        } catch {
            return error.message
        }
    }

    /// The role store's complaint about a record, nil when it takes it.
    private func storeProblem(_ edit: (inout RoleMapping) -> Void) -> RoleValidationError? {
        var m = RoleMapping(clientId: "abc", roleArn: Sample.arn)
        edit(&m)
        do {
            try m.validate()
            return nil
        } catch { return error }
    }

    @Test(
        "role ARN: role store and client agree",
        arguments: [
            ("arn:aws:iam::123456789012:role/x", true), ("arn:aws-us-gov:iam::000000000000:role/a/b/Name_+=,.@-", true),
            ("role/x", false), ("arn:aws-iso:iam::123456789012:role/x", false), ("arn:aws:iam::1234:role/x", false),
            ("arn:aws:iam::123456789012:role/bad name", false), ("arn:aws:iam::123456789012:user/x", false),
        ]
    )
    func roleArn(_ arn: String, _ ok: Bool) {
        #expect((AWSRules.roleArn(arn) == nil) == ok)
        let store = storeProblem { $0.roleArn = arn }
        let client = clientProblem("AWS_ROLE_ARN", arn)
        #expect((store == nil) == ok && (client == nil) == ok)
        if let store { #expect(store.field == "role_arn" && store.message == AWSRules.roleArn(arn)) }
        if let client {
            #expect(client.contains("AWS_ROLE_ARN \"\(arn)\" is not an IAM role ARN: \(AWSRules.roleArn(arn) ?? "")"))
        }
    }

    @Test(
        "session duration: role store and client agree",
        arguments: [
            (900, true), (3600, true), (43200, true), (899, false), (43201, false), (0, false),
        ]
    )
    func sessionDuration(_ seconds: Int, _ ok: Bool) {
        #expect((AWSRules.sessionDuration(seconds) == nil) == ok)
        let store = storeProblem { $0.sessionDurationSeconds = seconds }
        let client = clientProblem("CREDVEND_DURATION_SECONDS", String(seconds))
        #expect((store == nil) == ok && (client == nil) == ok)
        if let store {
            #expect(store.field == "session_duration_s" && store.message == AWSRules.sessionDurationProblem)
        }
        if let client {
            #expect(client.contains("CREDVEND_DURATION_SECONDS \"\(seconds)\" \(AWSRules.sessionDurationProblem)"))
        }
        #expect(clientProblem("CREDVEND_DURATION_SECONDS", "1h")?.contains(AWSRules.sessionDurationProblem) == true)
    }

    @Test(
        "region: serve, client and STS endpoint agree",
        arguments: [
            ("us-east-1", true), ("us-gov-west-1", true), ("ap-southeast-2", true), ("eu-central-10", true),
            ("Frankfurt", false), ("mars", false), ("us-east", false), ("us--east-1", false), ("use-east-1", false),
            ("us-east-1a", false), ("us-east-1/x", false), ("evil.com/x", false), ("", false),
        ]
    )
    func region(_ region: String, _ ok: Bool) {
        #expect((AWSRules.region(region) == nil) == ok)
        var serve = ServeConfiguration(issuer: "https://idp.example.com")
        serve.region = region
        let serveProblem: String?
        do {
            try serve.validate()
            serveProblem = nil
        } catch { serveProblem = error.message }
        #expect((serveProblem == nil) == ok)
        if let serveProblem { #expect(serveProblem.hasPrefix("--region \"\(region)\" is not an AWS region name: ")) }
        #expect(((try? AWSEndpoint.regional(service: "sts", region: region)) != nil) == ok)
        // The client treats an empty value as unset (the default region).
        guard !region.isEmpty else { return }
        let client = clientProblem("AWS_REGION", region)
        #expect((client == nil) == ok)
        if let client { #expect(client.contains("AWS_REGION \"\(region)\" is not an AWS region name: ")) }
    }
}
