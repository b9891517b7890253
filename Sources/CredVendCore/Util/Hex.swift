public import CredVendCrypto

/// Lower-case hex, as SigV4, token fingerprints and the admin token file use it.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        append(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The hex of `bytes` at the end of `out`: for byte-level writers (SigV4) that would
    /// otherwise make a String only to copy it.
    public static func append<Bytes: Collection<UInt8>>(_ bytes: Bytes, to out: inout [UInt8]) {
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
    }

    public static func encode(_ digest: SHA256Digest) -> String {
        var out = [UInt8]()
        out.reserveCapacity(2 * SHA256.byteCount)
        append(digest, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The hex of a digest read from its words into the grown array, with no byte array
    /// made and no per-digit append.
    public static func append(_ digest: SHA256Digest, to out: inout [UInt8]) {
        let start = out.count
        out += digestPlaceholder
        var hex = out.mutableSpan
        write(digest.a, at: start, to: &hex)
        write(digest.b, at: start + 16, to: &hex)
        write(digest.c, at: start + 32, to: &hex)
        write(digest.d, at: start + 48, to: &hex)
    }

    /// Grows an array by one digest's hex in one copy.
    private static let digestPlaceholder = [UInt8](repeating: 0, count: 2 * SHA256.byteCount)

    /// The first 12 hex digits (6 bytes) of a SHA-256, which log lines use to tell tokens
    /// apart: from the first word, with no byte array made.
    public static func fingerprint(_ digest: SHA256Digest) -> String {
        String(digest.a >> 16, radix: 16).leftPadded(to: 12)
    }

    /// The 16 hex digits of `word`, most significant first, at `start`.
    private static func write(_ word: UInt64, at start: Int, to hex: inout MutableSpan<UInt8>) {
        for k in 0..<16 {
            let nibble = UInt8(truncatingIfNeeded: word &>> UInt64(60 - 4 * k)) & 0x0f
            hex[start + k] = nibble &+ (nibble < 10 ? UInt8(ascii: "0") : UInt8(ascii: "a") &- 10)
        }
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = value(chars[i]), let lo = value(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    /// One hex digit's value, either case.
    static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
