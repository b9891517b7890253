/// Constant-time equality for secrets (admin and TES tokens).
public enum ConstantTime {
    /// Whether `a` and `b` are equal, in time that depends only on their lengths.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.isEmpty || memoryEqual(a, b)
    }
}
