/// Hostile variants of valid samples, for the differential tests of the one-pass scanners
/// against the strict parsers: every truncation, and every byte replaced by each of
/// `replacements` (the bytes a scanner's decisions turn on).
enum HostileVariants {
    static func of(_ sample: [UInt8], replacements: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = (0..<sample.count).map { Array(sample[..<$0]) }
        for i in sample.indices {
            for r in replacements where r != sample[i] {
                var v = sample
                v[i] = r
                out.append(v)
            }
        }
        return out
    }

    static func of(_ sample: String, replacements: String) -> [[UInt8]] {
        of(Array(sample.utf8), replacements: Array(replacements.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xFF])
    }
}
