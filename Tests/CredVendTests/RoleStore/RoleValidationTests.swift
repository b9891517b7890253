import Testing

@testable import CredVendCore

@Suite struct RoleValidationTests {
    private func problem(_ edit: (inout RoleMapping) -> Void) -> RoleValidationError? {
        var m = RoleMapping(clientId: "1abc2defg3hij4klmno5pqrs6", roleArn: Sample.arn)
        edit(&m)
        do {
            try m.validate(recordIndex: 4)
            return nil
        } catch {
            return error
        }
    }

    @Test func minimalAndFullRecordsPass() {
        #expect(problem { _ in } == nil)
        #expect(
            problem {
                $0.serverName = "server-01"
                $0.bucket = "oidc-s3-dev"
                $0.s3PathPrefix = "backups/server-01/"
                $0.permission = .full
                $0.sessionDurationSeconds = 43200
            } == nil
        )
    }

    @Test(
        "valid client_id",
        arguments: ["a", "1abc2defg3hij4klmno5pqrs6", "A_b+c=d,e.f@g-h", String(repeating: "x", count: 128)]
    )
    func validClientIds(_ id: String) {
        #expect(RoleRules.clientId(id) == nil)
    }

    @Test(
        "invalid client_id",
        arguments: ["", "has space", "slash/", "colon:", "émoji", "tab\t", String(repeating: "x", count: 129)]
    )
    func invalidClientIds(_ id: String) {
        let error = problem { $0.clientId = id }
        #expect(error?.field == "client_id")
        #expect(error?.recordIndex == 4)
        #expect(error?.clientId == id)
    }

    @Test(
        "valid role_arn",
        arguments: [
            "arn:aws:iam::123456789012:role/x",
            "arn:aws-cn:iam::123456789012:role/service-role/ci-runner",
            "arn:aws-us-gov:iam::000000000000:role/a/b/c/Name_+=,.@-",
            "arn:aws:iam::123456789012:role/" + String(repeating: "n", count: 64),
        ]
    )
    func validArns(_ arn: String) {
        #expect(AWSRules.roleArn(arn) == nil)
    }

    @Test(
        "invalid role_arn",
        arguments: [
            "", "role/x", "arn:aws:iam::123456789012:user/x", "arn:aws:s3:::bucket",
            "arn:aws-eu:iam::123456789012:role/x", "arn:aws:iam::12345678901:role/x",
            "arn:aws:iam::1234567890123:role/x",
            "arn:aws:iam::12345678901a:role/x", "arn:aws:iam:us-east-1:123456789012:role/x",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/a//b", "arn:aws:iam::123456789012:role/x/",
            "arn:aws:iam::123456789012:role/bad name",
            "arn:aws:iam::123456789012:role/" + String(repeating: "n", count: 65), "arn:aws:iam::123456789012:role/x:y",
        ]
    )
    func invalidArns(_ arn: String) {
        #expect(problem { $0.roleArn = arn }?.field == "role_arn")
    }

    @Test func roleArnMessagesSayWhatIsWrong() {
        #expect(AWSRules.roleArn("arn:aws-eu:iam::123456789012:role/x")?.contains("partition") == true)
        #expect(AWSRules.roleArn("arn:aws:iam::1234:role/x")?.contains("12 digits") == true)
        #expect(
            AWSRules.roleArn("arn:aws:iam::123456789012:role/" + String(repeating: "n", count: 65))?
                .contains("1-64") == true
        )
    }

    @Test(
        "invalid server_name",
        arguments: ["", String(repeating: "s", count: 257), "new\nline", "nul\u{0}", "del\u{7F}"]
    )
    func invalidServerNames(_ name: String) {
        #expect(problem { $0.serverName = name }?.field == "server_name")
    }

    @Test func serverNameMayBeUnicode() {
        #expect(problem { $0.serverName = "Büro Köln #2" } == nil)
        #expect(problem { $0.serverName = String(repeating: "é", count: 64) } == nil)
    }

    @Test(
        "valid bucket",
        arguments: ["abc", "oidc-s3-dev", "my.bucket.name", "1bucket9", String(repeating: "b", count: 63)]
    )
    func validBuckets(_ bucket: String) {
        #expect(RoleRules.bucket(bucket) == nil)
    }

    @Test(
        "invalid bucket",
        arguments: [
            "ab", String(repeating: "b", count: 64), "Upper", "under_score", "-start", "end-", ".dot", "dot.",
            "two..dots", "192.168.5.4", "xn--bucket", "sthree-bucket", "bucket-s3alias", "bucket--ol-s3", "sp ace",
        ]
    )
    func invalidBuckets(_ bucket: String) {
        #expect(problem { $0.bucket = bucket }?.field == "bucket")
    }

    @Test func ipLikeButNotIPBucketIsFine() {
        #expect(RoleRules.bucket("192.168.5.4a") == nil)
        #expect(RoleRules.bucket("1.2.3") == nil)
    }

    @Test("valid s3_path_prefix", arguments: ["backups/server-01/", "a", "logs/2026/", "x/y.z/"])
    func validPrefixes(_ prefix: String) {
        #expect(
            problem {
                $0.bucket = "oidc-s3-dev"
                $0.s3PathPrefix = prefix
            } == nil
        )
    }

    @Test(
        "invalid s3_path_prefix",
        arguments: [
            "", "/leading", "a/../b", "..", "a/./b", "wild*", "what?", "${aws:username}/", "ctl\u{1}",
            String(repeating: "p", count: 1025),
        ]
    )
    func invalidPrefixes(_ prefix: String) {
        #expect(
            problem {
                $0.bucket = "oidc-s3-dev"
                $0.s3PathPrefix = prefix
            }?.field == "s3_path_prefix"
        )
    }

    @Test func prefixNeedsBucket() {
        let error = problem { $0.s3PathPrefix = "backups/" }
        #expect(error?.field == "s3_path_prefix")
        #expect(error?.message.contains("bucket") == true)
    }

    @Test(
        "session_duration_s bounds",
        arguments: [(899, false), (900, true), (3600, true), (43200, true), (43201, false), (-1, false)]
    )
    func durations(_ seconds: Int, _ ok: Bool) {
        #expect((problem { $0.sessionDurationSeconds = seconds } == nil) == ok)
    }

    @Test func parseFromTextFields() throws {
        let m = try RoleMapping.parse(
            clientId: "abc",
            roleArn: Sample.arn,
            permission: "read-write",
            sessionDuration: "7200"
        )
        #expect(m.permission == .readWrite)
        #expect(m.sessionDurationSeconds == 7200)
        let defaults = try RoleMapping.parse(clientId: "abc", roleArn: Sample.arn)
        #expect(defaults.permission == .write)
        #expect(defaults.sessionDurationSeconds == 3600)
        #expect(throws: RoleValidationError.self) {
            try RoleMapping.parse(clientId: "abc", roleArn: Sample.arn, permission: "admin")
        }
        do {
            _ = try RoleMapping.parse(clientId: "abc", roleArn: Sample.arn, sessionDuration: "1h")
            Issue.record("accepted a non-integer duration")
        } catch {
            #expect(error.field == "session_duration_s")
            #expect(error.clientId == "abc")
        }
    }

    @Test func errorDescriptionNamesRecordClientAndField() {
        let error = RoleValidationError(recordIndex: 2, clientId: "abc", field: "bucket", message: "is bad")
        #expect(error.description == #"record 2 (client_id "abc"), field "bucket": is bad"#)
        #expect(
            RoleValidationError(clientId: "abc", field: "bucket", message: "is bad").description
                == #"client_id "abc", field "bucket": is bad"#
        )
        #expect(RoleValidationError(message: "not valid JSON").description == "not valid JSON")
    }
}
