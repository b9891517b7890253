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

    /// The wait before the next attempt when the answer asked for `asked` seconds (nil:
    /// it did not): at least `asked`, spread uniformly up to half as much again so that a
    /// site's clients refused together do not come back together, at most `cap` seconds,
    /// and never shorter than the caller's own `backoff`. `unitRandom` in [0, 1).
    public static func wait(asked: Int?, backoff: Duration, unitRandom: Double, cap: Int = 60) -> Duration {
        guard let asked else { return backoff }
        let base = Double(min(max(asked, 0), cap))
        let spread = min(base * (1 + 0.5 * min(max(unitRandom, 0), 1)), Double(max(cap, 0)))
        return max(backoff, .nanoseconds(Int64((spread * 1e9).rounded(.down))))
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        let bytes = self.drop { $0 == " " || $0 == "\t" }
        return bytes.prefix { $0 != " " && $0 != "\t" }
    }
}
