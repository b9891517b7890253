import Foundation

/// The rule for every URL an operator gives: https, or plain http to loopback only
/// unless explicitly allowed.
public enum URLCheck {
    /// `http://` only for loopback hosts unless explicitly allowed.
    public static func check(_ text: String, flag: String, allowInsecure: Bool) throws(ConfigurationError) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty
        else {
            throw ConfigurationError("\(flag) \"\(text)\" is not an absolute URL")
        }
        switch scheme {
        case "https": return
        case "http":
            if allowInsecure || isLoopback(host) { return }
            throw ConfigurationError(
                "\(flag) \(text) uses plain http to a non-loopback host; use https or pass --allow-insecure-http"
            )
        default:
            throw ConfigurationError("\(flag) \"\(text)\" must be an http(s) URL")
        }
    }

    public static func isLoopback(_ host: String) -> Bool {
        let h = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return h == "localhost" || h == "::1" || h.hasPrefix("127.")
    }
}
