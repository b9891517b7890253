import Foundation

/// URL rules for client settings: a bare host means https; plain http only to
/// a loopback host (a token or a secret never crosses a network in clear).
public enum ClientURL {
    public struct Problem: Error, Sendable, Equatable {
        public let message: String
    }

    /// An IdP domain as a base URL without a trailing slash. `name` says where
    /// the value came from (`COGNITO_DOMAIN`, `--auth0-domain`).
    public static func base(_ text: String, name: String) -> Result<String, Problem> {
        endpoint(text, name: name, defaultPath: "")
    }

    /// An absolute URL; `defaultPath` is appended when the URL has no path.
    public static func endpoint(_ text: String, name: String, defaultPath: String) -> Result<String, Problem> {
        var t = text.trimmingCharacters(in: .whitespaces)
        if !t.contains("://") { t = "https://" + t }
        guard let parts = URLComponents(string: t), let scheme = parts.scheme?.lowercased(),
            let host = parts.host, !host.isEmpty, !host.contains(" ")
        else { return .failure(Problem(message: "\(name) \"\(text)\" is not a host name or an http(s) URL")) }
        guard parts.query == nil, parts.fragment == nil, parts.user == nil, parts.password == nil else {
            // Not quoted: user info or a query may hold a password or a secret.
            return .failure(
                Problem(message: "\(name) must not have a query, fragment or user name (its value is not shown)")
            )
        }
        switch scheme {
        case "https": break
        case "http":
            guard URLCheck.isLoopback(host) else {
                return .failure(
                    Problem(
                        message:
                            "\(name) \(text) uses plain http to a non-loopback host; use https (http is only for 127.0.0.1, ::1, localhost)"
                    )
                )
            }
        default:
            return .failure(Problem(message: "\(name) \"\(text)\" must be an https URL"))
        }
        while t.hasSuffix("/") { t.removeLast() }
        if parts.path.isEmpty || parts.path == "/" { t += defaultPath }
        return .success(t)
    }

    /// Visible ASCII, no space: what a credential, a key id or a token is made of.
    public static func visibleASCII(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// Printable and on one line: what may go into a header, a form or a file.
    public static func singleLine(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }
}
