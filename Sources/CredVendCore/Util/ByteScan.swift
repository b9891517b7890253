// Byte scans on the request path, eight bytes per step. The words are assembled from
// indexed bytes (bounds-checked, no raw buffer), which the optimiser turns into loads.

/// Scans over bytes a word at a time (SWAR).
enum ByteScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Non-zero when some byte of `w` is 0 (may also flag bytes above a true zero byte).
    @inline(__always)
    private static func zeroByte(_ w: UInt64) -> UInt64 { (w &- ones) & ~w & highs }

    /// Non-zero when some byte of `w` may be `"`, `\`, below 0x20 or above 0x7E.
    @inline(__always)
    private static func special(_ w: UInt64) -> UInt64 {
        zeroByte(w ^ (ones &* 0x22)) | zeroByte(w ^ (ones &* 0x5C)) | zeroByte(w ^ (ones &* 0x7F))
            | ((w &- ones &* 0x20) & ~w & highs) | (w & highs)
    }

    /// Bytes `i..<i+8` of `bytes` as a little-endian word.
    @inline(__always)
    private static func word(_ bytes: [UInt8], at i: Int) -> UInt64 {
        var w: UInt64 = 0
        for k in (0..<8).reversed() { w = w << 8 | UInt64(bytes[i + k]) }
        return w
    }

    /// The index of the first `"` at or after `start`, provided every byte before it is
    /// printable ASCII (0x20-0x7E) other than `\`; nil when there is no such `"`.
    static func plainStringEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        guard start >= 0, start <= bytes.count else { return nil }
        let n = bytes.count
        var i = start
        while i + 8 <= n, special(word(bytes, at: i)) == 0 { i += 8 }
        while i < n {
            let c = bytes[i]
            if c == 0x22 { return i }
            if c < 0x20 || c > 0x7E || c == 0x5C { return nil }
            i += 1
        }
        return nil
    }
}
