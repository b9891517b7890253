/// The wait a 429 or 503 answer asks for (`Retry-After` in whole seconds; the HTTP-date
/// form is not used by credvend's server and is ignored), capped so that a caller such
/// as credential_process is never held longer than `cap` seconds per retry.
public enum RetryAfter {
    public static func seconds(_ response: HTTPClientResponse, cap: Int = 60) -> Int? {
        guard response.status == 429 || response.status == 503,
            let text = response.headers["retry-after"], let n = Int(text.trimmingSpaces), n >= 0
        else { return nil }
        return min(n, cap)
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        let bytes = self.drop { $0 == " " || $0 == "\t" }
        return bytes.prefix { $0 != " " && $0 != "\t" }
    }
}
