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
    /// One pass over one copy of the bytes (an array indexes faster than a string's view),
    /// no arrays of parts and segments: every role record decoded on a cold request is checked.
    public static func roleArn(_ value: String) -> String? {
        let shape = "must look like arn:aws:iam::123456789012:role/NAME (partition aws, aws-cn or aws-us-gov)"
        let bytes = Array(value.utf8)
        var rest = bytes[...]
        // The text before the next `:`, which `rest` then starts after.
        func field() -> ArraySlice<UInt8>? {
            guard let colon = rest.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            defer { rest = rest[rest.index(after: colon)...] }
            return rest[..<colon]
        }
        guard bytes.count <= 2048, let arn = field(), let partition = field(), let service = field(),
            let region = field(), let account = field(), arn.elementsEqual("arn".utf8),
            service.elementsEqual("iam".utf8), region.isEmpty
        else { return shape }
        guard partitions.contains(where: { partition.elementsEqual($0.utf8) }) else {
            return "partition must be one of \(partitions.joined(separator: ", ")); \(shape)"
        }
        guard account.count == 12, account.allSatisfy(isDigit) else {
            return "account id must be 12 digits; \(shape)"
        }
        let resource = rest
        guard resource.starts(with: "role/".utf8) else { return "resource must start with role/; \(shape)" }
        // The path and name segments after `role/`: each non-empty, of IAM name bytes.
        var segmentsFine = true
        var nameLength = 0
        for byte in resource.dropFirst(5) {
            if byte == UInt8(ascii: "/") {
                segmentsFine = segmentsFine && nameLength > 0
                nameLength = 0
            } else {
                segmentsFine = segmentsFine && isIAMNameByte(byte)
                nameLength += 1
            }
        }
        guard segmentsFine, nameLength > 0 else {
            return "role path and name segments must be non-empty and use only A-Z a-z 0-9 _+=,.@-"
        }
        guard nameLength <= 64 else { return "role name must be 1-64 characters" }
        guard resource.count - 5 - nameLength <= 512 else { return "role path must be at most 512 characters" }
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
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "="),
            UInt8(ascii: ","), UInt8(ascii: "."), UInt8(ascii: "@"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    static func isLower(_ b: UInt8) -> Bool { b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") }
    static func isLowerAlnum(_ b: UInt8) -> Bool { isDigit(b) || isLower(b) }
}
