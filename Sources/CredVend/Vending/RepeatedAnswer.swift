import CredVendCore
import CredVendStore
import Foundation

/// The credentials a token was last answered with, kept with its verified-token entry, so the
/// same request with the same token (what a daemon or an agent sends all day) is answered again
/// without the role lookup and the credential cache's lookup, whose string hashing, record
/// copies and locks were a third of a repeated request's work. Only while nothing it was
/// decided from can have changed: the role store since (`stamp`: any write by any process, or
/// another store switched in, moves it), the request's ask, and the credentials' refresh time.
public final class RepeatedAnswer: Sendable {
    let stamp: RoleStore.Stamp
    let ask: RoleRequest
    let entry: CredentialCache.Entry

    init(stamp: RoleStore.Stamp, ask: RoleRequest, entry: CredentialCache.Entry) {
        self.stamp = stamp
        self.ask = ask
        self.entry = entry
    }

    /// The same answer in an object of its own, for one thread's copy of its token's entry.
    func privateCopy() -> RepeatedAnswer { RepeatedAnswer(stamp: stamp, ask: ask, entry: entry) }

    /// The entry, if this answer still holds for `ask` under the store as `stamp` finds it.
    func entry(for ask: RoleRequest, stamp: RoleStore.Stamp, now: Date) -> CredentialCache.Entry? {
        guard stamp == self.stamp, ask == self.ask, now < entry.refreshAt else { return nil }
        return entry
    }
}
