/// The AWS name and value rules that both the role store and the client check,
/// one function each, so a value one side accepts the other never refuses.
/// Each returns nil when the value is fine, else what is wrong; the caller
/// names the field, flag or variable.
public enum AWSRules {
    /// What STS AssumeRole and AssumeRoleWithWebIdentity accept as DurationSeconds.
    public static let sessionDurationRange = 900...43200
    public static let partitions = ["aws", "aws-cn", "aws-us-gov"]

    /// `arn:<partition>:iam::<12-digit account>:role/<path/>name`, read as UTF-8
    /// bytes (lengths are byte counts, and no grapheme cluster hides a `:` or `/`).
    public static func roleArn(_ value: String) -> String? {
        let shape = "must look like arn:aws:iam::123456789012:role/NAME (partition aws, aws-cn or aws-us-gov)"
        let bytes = Array(value.utf8)
        let parts = bytes.split(separator: UInt8(ascii: ":"), maxSplits: 5, omittingEmptySubsequences: false)
        guard bytes.count <= 2048, parts.count == 6, parts[0].elementsEqual("arn".utf8),
            parts[2].elementsEqual("iam".utf8), parts[3].isEmpty
        else { return shape }
        guard partitions.contains(where: { parts[1].elementsEqual($0.utf8) }) else {
            return "partition must be one of \(partitions.joined(separator: ", ")); \(shape)"
        }
        guard parts[4].count == 12, parts[4].allSatisfy(isDigit) else {
            return "account id must be 12 digits; \(shape)"
        }
        let resource = parts[5]
        guard resource.starts(with: "role/".utf8) else { return "resource must start with role/; \(shape)" }
        let segments = resource.dropFirst(5).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        for segment in segments where segment.isEmpty || !segment.allSatisfy(isIAMNameByte) {
            return "role path and name segments must be non-empty and use only A-Z a-z 0-9 _+=,.@-"
        }
        guard let name = segments.last, name.count <= 64 else { return "role name must be 1-64 characters" }
        guard resource.count - 5 - name.count <= 512 else { return "role path must be at most 512 characters" }
        return nil
    }

    /// `<2 letters>-<word>[-<word>...]-<number>`, e.g. `us-east-1`, `us-gov-west-1`:
    /// it becomes part of the STS host name and the SigV4 scope.
    public static func region(_ value: String) -> String? {
        let parts = value.utf8.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0].count == 2,
            parts.dropLast().allSatisfy({ !$0.isEmpty && $0.allSatisfy(isLower) }),
            let number = parts.last, !number.isEmpty, number.allSatisfy(isDigit)
        else { return "must look like us-east-1 (lower-case words and a number, joined by -)" }
        return nil
    }

    /// Also what to say when the text is not a whole number at all.
    public static let sessionDurationProblem =
        "must be a whole number of seconds from \(sessionDurationRange.lowerBound) to \(sessionDurationRange.upperBound)"

    public static func sessionDuration(_ seconds: Int) -> String? {
        sessionDurationRange.contains(seconds) ? nil : sessionDurationProblem
    }

    /// `[\w+=,.@-]` as IAM means it: ASCII letters, digits, underscore and `+=,.@-`.
    static func isIAMNameByte(_ b: UInt8) -> Bool {
        isLowerAlnum(b) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || "_+=,.@-".utf8.contains(b)
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    static func isLower(_ b: UInt8) -> Bool { b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") }
    static func isLowerAlnum(_ b: UInt8) -> Bool { isDigit(b) || isLower(b) }
}
