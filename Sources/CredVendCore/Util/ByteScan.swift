// Byte scans on the request path, eight bytes per step. The words are assembled from
// a Span's bytes (bounds-checked, no raw buffer), one bounds check per word: measured in
// release, as fast as the unaligned raw-buffer load it replaces and 3x a byte loop.

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

    /// Non-zero when some byte of `w` may be `<`, `&`, below 0x20 or above 0x7E.
    @inline(__always)
    private static func markup(_ w: UInt64) -> UInt64 {
        zeroByte(w ^ (ones &* 0x3C)) | zeroByte(w ^ (ones &* 0x26)) | zeroByte(w ^ (ones &* 0x7F))
            | ((w &- ones &* 0x20) & ~w & highs) | (w & highs)
    }

    /// Non-zero when some byte of `w` may be below 0x21 or above 0x7E.
    @inline(__always)
    private static func invisible(_ w: UInt64) -> UInt64 {
        zeroByte(w ^ (ones &* 0x7F)) | ((w &- ones &* 0x21) & ~w & highs) | (w & highs)
    }

    /// Bytes `i..<i+8` as a little-endian word: one bounds check for the eight bytes,
    /// then constant indices into a span of count 8, which need none.
    @inline(__always)
    private static func word(_ bytes: Span<UInt8>, at i: Int) -> UInt64 {
        let e = bytes.extracting(i..<(i + 8))
        let low = UInt64(e[0]) | UInt64(e[1]) << 8 | UInt64(e[2]) << 16 | UInt64(e[3]) << 24
        let high = UInt64(e[4]) | UInt64(e[5]) << 8 | UInt64(e[6]) << 16 | UInt64(e[7]) << 24
        return low | high << 32
    }

    /// The index of the first `"` at or after `start`, provided every byte before it is
    /// printable ASCII (0x20-0x7E) other than `\`; nil when there is no such `"`.
    static func plainStringEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        guard start >= 0, start <= bytes.count else { return nil }
        let span = bytes.span
        let n = span.count
        var i = start
        while i + 8 <= n, special(word(span, at: i)) == 0 { i += 8 }
        while i < n {
            let c = span[i]
            if c == 0x22 { return i }
            if c < 0x20 || c > 0x7E || c == 0x5C { return nil }
            i += 1
        }
        return nil
    }

    /// The index of the first byte at or after `start` that is `<`, `&`, below 0x20 or
    /// above 0x7E (the end of XML character data that needs no decoding), or `bytes.count`.
    static func plainTextEnd(_ bytes: [UInt8], from start: Int) -> Int {
        let span = bytes.span
        let n = span.count
        var i = max(0, start)
        while i + 8 <= n, markup(word(span, at: i)) == 0 { i += 8 }
        while i < n {
            let c = span[i]
            if c == 0x3C || c == 0x26 || c < 0x20 || c > 0x7E { return i }
            i += 1
        }
        return n
    }

    /// Whether every byte is visible ASCII (0x21-0x7E): text that can go into an HTTP
    /// header or a file as it is (a kilobyte session token, checked in a few hundred steps).
    static func isVisibleASCII(_ bytes: Span<UInt8>) -> Bool {
        let n = bytes.count
        var i = 0
        while i + 8 <= n {
            if invisible(word(bytes, at: i)) != 0 { return false }
            i += 8
        }
        while i < n {
            if bytes[i] < 0x21 || bytes[i] > 0x7E { return false }
            i += 1
        }
        return true
    }

    /// Whether `bytes[range]` are the bytes of `name` (lengths first: most names differ there).
    static func equals(_ bytes: [UInt8], _ range: Range<Int>, _ name: [UInt8]) -> Bool {
        guard range.count == name.count else { return false }
        let span = bytes.span
        var k = 0
        for i in range {
            guard span[i] == name[k] else { return false }
            k += 1
        }
        return true
    }

    /// Whether `bytes[a]` and `bytes[b]` are the same bytes (an end tag and its start tag).
    static func equals(_ bytes: [UInt8], _ a: Range<Int>, _ b: Range<Int>) -> Bool {
        guard a.count == b.count else { return false }
        let span = bytes.span
        var j = b.lowerBound
        for i in a {
            guard span[i] == span[j] else { return false }
            j += 1
        }
        return true
    }
}
