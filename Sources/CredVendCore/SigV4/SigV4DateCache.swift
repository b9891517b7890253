import CredVendSync
import Foundation

/// The signing time's two renderings for the last whole second signed in: requests
/// signed in the same second (every one of a busy signer's) reuse them instead of
/// formatting the date again. Pure: the time is the caller's, the cache only remembers.
final class SigV4DateCache: Sendable {
    private let last = Locked<SigV4Date?>(nil)

    /// `SigV4Date(date)`, made only when `date` is in another second than the last one.
    func date(_ date: Date) -> SigV4Date {
        let second = SigV4Date.second(of: date)
        if let hit = last.withLock({ $0 }), hit.second == second { return hit }
        let made = SigV4Date(secondsSince1970: second)
        last.withLock { $0 = made }
        return made
    }
}
