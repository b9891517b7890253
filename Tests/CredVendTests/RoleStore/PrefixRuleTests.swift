import Testing

@testable import CredVendCore

/// `RoleRules.s3PathPrefix` checks in one pass; it must name the same problem, in the
/// same order, as the rule written stage by stage (below) on every variant of a prefix.
@Suite struct PrefixRuleTests {
    static func stageByStage(_ value: String) -> String? {
        let bytes = Array(value.utf8)
        guard (1...RoleRules.maxPrefixBytes).contains(bytes.count) else {
            return "must be 1-\(RoleRules.maxPrefixBytes) bytes (omit the field for the whole bucket)"
        }
        if bytes[0] == UInt8(ascii: "/") { return "must not start with / (S3 keys have no leading slash)" }
        let segments = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        if segments.contains(where: { $0.elementsEqual("..".utf8) || $0.elementsEqual(".".utf8) }) {
            return "must not contain . or .. segments"
        }
        if bytes.contains(UInt8(ascii: "*")) || bytes.contains(UInt8(ascii: "?")) || RoleRules.contains(bytes, "${") {
            return "must not contain *, ? or ${ (they are wildcards and variables in IAM policies)"
        }
        if value.unicodeScalars.contains(where: RoleRules.isControl) { return "must not contain control characters" }
        return nil
    }

    @Test func namesWhatTheStagedRuleNames() {
        var refused = 0
        for sample in ["backups/server-1/", "a/./b", "x", "..", "a/b/c.d/..e/"] {
            let chars = Array(sample)
            let swaps: [Character] = [".", "/", "*", "?", "$", "{", "\u{7F}", "\u{85}", "\u{9F}", "\u{A0}", "\t", "é"]
            var variants = (0...chars.count).map { String(chars[..<$0]) }
            for i in chars.indices {
                for c in swaps {
                    var v = chars
                    v[i] = c
                    variants.append(String(v))
                    variants.append(String(v) + "${x}")
                }
            }
            variants.append(String(repeating: "a", count: RoleRules.maxPrefixBytes + 1))
            for v in variants {
                let expected = Self.stageByStage(v)
                if expected != nil { refused += 1 }
                #expect(RoleRules.s3PathPrefix(v) == expected, "\(v.debugDescription)")
            }
        }
        #expect(refused > 0)
    }
}
