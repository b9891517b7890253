/// The one escaping rule of every log credvend writes (docs/reference.md#logs), so that one
/// event is one line whatever bytes a request carried: a path with `%0A` or `%00`, a token
/// whose `client_id` holds a newline. The stderr lines and the log ring use `appendValue`
/// and `appendText`; the audit log's JSON strings use `appendJSONString`.
///
/// A value after `key=` is written as it is when it is non-empty and each byte is printable
/// ASCII other than space, `"`, `\` and `=`. Otherwise it is written in double quotes, with
/// `\"`, `\\`, `\n`, `\r`, `\t`, and `\xNN` (two lowercase hex digits) for every other byte
/// outside printable ASCII, UTF-8 included. An escaped line is therefore printable ASCII.
public enum LogEscaping {
    /// `value` as written after `key=`.
    public static func value(_ value: String) -> String {
        if !value.utf8.isEmpty, value.everyUTF8Byte(isBare) { return value }
        var out: [UInt8] = []
        appendValue(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func appendValue(_ value: String, to out: inout [UInt8]) {
        let bytes = value.utf8
        if !bytes.isEmpty, value.everyUTF8Byte(isBare) {
            out.append(contentsOf: bytes)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in bytes { appendQuoted(byte, to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    /// A message (free text, not quoted): each byte outside printable ASCII is escaped as
    /// in a quoted value; quotes and backslashes stay, so that the `key=value` fields an
    /// access-log message already holds (escaped by `value`) are not escaped twice.
    public static func appendText(_ text: String, to out: inout [UInt8]) {
        let bytes = text.utf8
        if text.everyUTF8Byte(isPrintable) {
            out.append(contentsOf: bytes)
            return
        }
        for byte in bytes {
            if isPrintable(byte) { out.append(byte) } else { appendQuoted(byte, to: &out) }
        }
    }

    /// A JSON string literal in ASCII alone: `\"`, `\\`, `\n`, `\r`, `\t`, and `\uXXXX` for
    /// every other control character, DEL and every character beyond ASCII (as a UTF-16
    /// surrogate pair above U+FFFF), so that no reader finds a line break (U+0085, U+2028)
    /// inside a record. A Swift string holds no invalid UTF-8, so none can reach the line.
    public static func appendJSONString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for unit in s.utf16 {
            switch unit {
            case 0x22: out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case 0x5C: out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x20...0x7E: out.append(UInt8(unit))
            default:
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u")]
                for shift in stride(from: 12, through: 0, by: -4) {
                    out.append(hexDigits[Int(unit >> UInt16(shift)) & 0xF])
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    public static func jsonString(_ s: String) -> String {
        var out: [UInt8] = []
        appendJSONString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func isPrintable(_ byte: UInt8) -> Bool { byte >= 0x20 && byte <= 0x7E }

    private static func isBare(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte <= 0x7E && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
            && byte != UInt8(ascii: "=")
    }

    private static func appendQuoted(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
        case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
        case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
        case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
        case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
        case 0x20...0x7E: out.append(byte)
        default: out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
