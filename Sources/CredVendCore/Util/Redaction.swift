import Foundation

/// Makes text from a peer safe to show, the one rule for `ClientError` and
/// `STSError`: one line (control characters as spaces, trimmed), every given
/// secret replaced by `<redacted>`, at most `limit` characters. Secrets under
/// four characters are left alone: replacing them would garble the text and
/// no token or key is that short.
public enum Redaction {
    public static func clean(_ text: String, redacting secrets: [String], limit: Int = 400) -> String {
        var out = text
        for secret in secrets where secret.count >= 4 {
            out = out.replacing(secret, with: "<redacted>")
        }
        out = String(
            String.UnicodeScalarView(
                out.unicodeScalars.map {
                    $0.properties.generalCategory == .control ? " " : $0
                }
            )
        ).trimmingCharacters(in: .whitespaces)
        return out.count > limit ? String(out.prefix(limit - 1)) + "…" : out
    }
}
