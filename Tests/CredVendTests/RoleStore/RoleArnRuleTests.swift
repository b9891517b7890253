import Testing

@testable import CredVendCore

/// `AWSRules.roleArn` read in one pass gives each ARN the verdict, and the message, of the
/// rule as written before: the value split into arrays of parts and segments.
@Suite struct RoleArnRuleTests {
    static func reference(_ value: String) -> String? {
        let shape = "must look like arn:aws:iam::123456789012:role/NAME (partition aws, aws-cn or aws-us-gov)"
        let bytes = Array(value.utf8)
        let parts = bytes.split(separator: UInt8(ascii: ":"), maxSplits: 5, omittingEmptySubsequences: false)
        guard bytes.count <= 2048, parts.count == 6, parts[0].elementsEqual("arn".utf8),
            parts[2].elementsEqual("iam".utf8), parts[3].isEmpty
        else { return shape }
        guard AWSRules.partitions.contains(where: { parts[1].elementsEqual($0.utf8) }) else {
            return "partition must be one of \(AWSRules.partitions.joined(separator: ", ")); \(shape)"
        }
        guard parts[4].count == 12, parts[4].allSatisfy(AWSRules.isDigit) else {
            return "account id must be 12 digits; \(shape)"
        }
        let resource = parts[5]
        guard resource.starts(with: "role/".utf8) else { return "resource must start with role/; \(shape)" }
        let segments = resource.dropFirst(5).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        let nameBytes = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+=,.@-".utf8)
        for segment in segments where segment.isEmpty || !segment.allSatisfy(nameBytes.contains) {
            return "role path and name segments must be non-empty and use only A-Z a-z 0-9 _+=,.@-"
        }
        guard let name = segments.last, name.count <= 64 else { return "role name must be 1-64 characters" }
        guard resource.count - 5 - name.count <= 512 else { return "role path must be at most 512 characters" }
        return nil
    }

    static let account = "arn:aws:iam::123456789012:"

    static let values: [String] = [
        "", ":", "arn", "arn:aws:iam::123456789012", "arn:aws:iam::123456789012:", "arn:aws:iam::123456789012:role",
        account + "role/", account + "role/x", account + "role/a/b/Name_+=,.@-", account + "role//x",
        account + "role/x/", account + "role/a b", account + "role/x:y", account + "role/é", account + "role/x\u{301}",
        account + "user/x", account + "Role/x", "arn:aws-cn:iam::123456789012:role/x",
        "arn:aws-us-gov:iam::000000000000:role/x", "arn:aws-iso:iam::123456789012:role/x",
        "arn::iam::123456789012:role/x", "arn:aws:sts::123456789012:role/x",
        "arn:aws:iam:us-east-1:123456789012:role/x",
        "arn:aws:iam::12345678901:role/x", "arn:aws:iam::1234567890123:role/x", "arn:aws:iam::12345678901a:role/x",
        "arn:aws:iam::１２３４５６７８９０１２:role/x", "ARN:aws:iam::123456789012:role/x", "arn:aws:iam::123456789012::role/x",
        account + "role/" + String(repeating: "n", count: 64), account + "role/" + String(repeating: "n", count: 65),
        account + "role/" + String(repeating: "p", count: 511) + "/x",
        account + "role/" + String(repeating: "p", count: 512) + "/x",
        account + "role/" + String(repeating: "p/", count: 256) + "x",
        account + "role/" + String(repeating: "p/", count: 300) + String(repeating: "n", count: 70),
        account + "role/" + String(repeating: "p", count: 2048),
    ]

    @Test(arguments: values)
    func sameVerdictAsTheRuleSplitIntoParts(_ value: String) {
        #expect(AWSRules.roleArn(value) == Self.reference(value))
    }

    /// Every message the rule has is among the cases, so each branch is compared.
    @Test func theCasesReachEveryMessage() {
        let messages = Set(Self.values.map { Self.reference($0).map { String($0.prefix(12)) } ?? "fine" })
        #expect(messages.count == 8)  // seven problems, and none
    }
}
