/// Base64url without padding (RFC 7515 section 2 and Appendix C), strict: only the
/// alphabet `A-Z a-z 0-9 - _`, no `=`, no whitespace, no impossible length, and unused
/// trailing bits must be zero, so every byte string has exactly one accepted encoding.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// 0xFF marks a byte outside the alphabet.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = UInt8(index) }
        return table
    }()

    public static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        String(decoding: encodeToBytes(bytes), as: UTF8.self)
    }

    public static func encodeToBytes<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var iterator = bytes.makeIterator()
        while let b0 = iterator.next() {
            let b1 = iterator.next()
            let b2 = iterator.next()
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | (b1 ?? 0) >> 4)])
            guard let b1 else { break }
            out.append(alphabet[Int((b1 & 0x0F) << 2 | (b2 ?? 0) >> 6)])
            guard let b2 else { break }
            out.append(alphabet[Int(b2 & 0x3F)])
        }
        return out
    }

    /// Through the string's own bytes, with no copy of them into an array first.
    public static func decode(_ text: String) -> [UInt8]? { decode(bytes: text.utf8) }

    /// Decodes the ASCII of an encoding; nil if it is not strict unpadded base64url.
    public static func decode<Text: Collection<UInt8>>(bytes text: Text) -> [UInt8]? {
        let remainder = text.count % 4
        if remainder == 1 { return nil }
        var out = [UInt8]()
        out.reserveCapacity(text.count / 4 * 3 + 2)
        var accumulator: UInt32 = 0
        var pending = 0
        let table = values  // one access to the lazily made table, not one per character
        for char in text {
            let value = table[Int(char)]
            if value == 0xFF { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            pending += 1
            if pending == 4 {
                out.append(UInt8(truncatingIfNeeded: accumulator >> 16))
                out.append(UInt8(truncatingIfNeeded: accumulator >> 8))
                out.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator = 0
                pending = 0
            }
        }
        switch pending {
        case 2:  // 12 bits: one byte, 4 unused bits
            guard accumulator & 0x0F == 0 else { return nil }
            out.append(UInt8(truncatingIfNeeded: accumulator >> 4))
        case 3:  // 18 bits: two bytes, 2 unused bits
            guard accumulator & 0x03 == 0 else { return nil }
            out.append(UInt8(truncatingIfNeeded: accumulator >> 10))
            out.append(UInt8(truncatingIfNeeded: accumulator >> 2))
        default:
            break
        }
        return out
    }
}
