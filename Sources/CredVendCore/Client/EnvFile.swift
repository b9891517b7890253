/// Shell-style env files: the `config.env` that `--config` reads,
/// and the `aws-credentials.env` that credential-daemon writes.
///
/// Reading accepts the part of shell syntax that means the same to `source`
/// and to credvend: `NAME=value` lines, an optional `export `, `#` comments,
/// 'single' and "double" quotes, backslash escapes. What a shell would expand
/// (`$`, backquotes) is refused rather than read differently. Errors name the
/// line, never its value (it may be a secret).
public enum EnvFile {
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    public static func parse(_ text: String) throws(ParseError) -> [String: String] {
        var out: [String: String] = [:]
        var number = 0
        // "\r\n" is one Character in Swift, so split on both.
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            var line = Substring(raw.hasSuffix("\r") ? raw.dropLast() : raw)
            line = line.drop { $0 == " " || $0 == "\t" }
            if number == 1, line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") || line.hasPrefix("export\t") {
                line = line.dropFirst(7).drop { $0 == " " || $0 == "\t" }
            }
            guard let eq = line.firstIndex(of: "="), isName(line[..<eq]) else {
                throw ParseError(line: number, reason: "expected NAME=value")
            }
            out[String(line[..<eq])] = try value(line[line.index(after: eq)...], line: number)
        }
        return out
    }

    /// `export NAME=value` lines, values quoted only when the shell needs it.
    public static func render(_ pairs: [(name: String, value: String)], header: String? = nil) -> String {
        var text = header.map { "# \($0)\n" } ?? ""
        for (name, value) in pairs { text += "export \(name)=\(shellQuoted(value))\n" }
        return text
    }

    /// The value as the shell reads it back: bare when every character is
    /// plain, else in single quotes (a `'` written as `'\''`).
    public static func shellQuoted(_ value: String) -> String {
        let plain =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy {
                switch $0 {
                case "A"..."Z", "a"..."z", "0"..."9", "_", "+", "/", "=", ".", ",", ":", "@", "%", "-": return true
                default: return false
                }
            }
        return plain ? value : "'" + value.replacing("'", with: "'\\''") + "'"
    }

    static func isName(_ s: Substring) -> Bool {
        guard let first = s.unicodeScalars.first,
            first == "_" || ("A"..."Z").contains(first) || ("a"..."z").contains(first)
        else { return false }
        return s.unicodeScalars.allSatisfy {
            $0 == "_" || ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0)
        }
    }

    private static func value(_ text: Substring, line: Int) throws(ParseError) -> String {
        var out = ""
        var i = text.startIndex
        func fail(_ reason: String) -> ParseError { ParseError(line: line, reason: reason) }
        while i < text.endIndex {
            let c = text[i]
            switch c {
            case " ", "\t":
                let rest = text[i...].drop { $0 == " " || $0 == "\t" }
                guard rest.isEmpty || rest.hasPrefix("#") else {
                    throw fail("unexpected text after the value; quote a value that contains spaces")
                }
                return out
            case "'":
                guard let close = text[text.index(after: i)...].firstIndex(of: "'") else {
                    throw fail("unterminated ' quote")
                }
                out += text[text.index(after: i)..<close]
                i = text.index(after: close)
                continue
            case "\"":
                i = text.index(after: i)
                var closed = false
                while i < text.endIndex {
                    let d = text[i]
                    if d == "\"" {
                        closed = true
                        break
                    }
                    if d == "$" || d == "`" { throw fail("$ and ` would be expanded by a shell; use single quotes") }
                    if d == "\\", text.index(after: i) < text.endIndex, "\"\\$`".contains(text[text.index(after: i)]) {
                        i = text.index(after: i)
                    }
                    out.append(text[i])
                    i = text.index(after: i)
                }
                guard closed else { throw fail("unterminated \" quote") }
            case "\\":
                i = text.index(after: i)
                guard i < text.endIndex else { throw fail("a line may not end in \\") }
                out.append(text[i])
            case "$", "`":
                throw fail("$ and ` would be expanded by a shell; use single quotes")
            case ";", "&", "|", "<", ">", "(", ")":
                throw fail("shell operators are not allowed; quote the value")
            default:
                out.append(c)
            }
            i = text.index(after: i)
        }
        return out
    }
}
