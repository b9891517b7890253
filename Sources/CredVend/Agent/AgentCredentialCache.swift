public import CredVendCore
import CredVendSync
public import Foundation

/// The agent's credentials, one entry per selection (role, duration, narrowing), so two
/// selections never swap credentials. In memory only: the agent is one long process, and
/// a file cache would put every role's secrets on disk. Shared by all sockets.
public final class AgentCredentialCache: Sendable {
    public typealias Fetch = @Sendable (VendingSelection) throws(ClientError) -> CachedCredentials

    private let policy: ClientCachePolicy
    private let clock: @Sendable () -> Date
    private let fetch: Fetch
    private let entries = Locked<[VendingSelection: CachedCredentials]>([:])
    private let flights = SingleFlight<VendingSelection, CachedCredentials, ClientError>()

    public init(policy: ClientCachePolicy, clock: @escaping @Sendable () -> Date = { Date() }, fetch: @escaping Fetch) {
        self.policy = policy
        self.clock = clock
        self.fetch = fetch
    }

    /// The cached credentials while the policy calls them fresh.
    public func fresh(_ selection: VendingSelection) -> CachedCredentials? {
        guard let record = entries.withLock({ $0[selection] }), let expiry = record.credentials.expiration,
            policy.isFresh(obtained: record.obtainedAt, expiration: expiry, now: clock())
        else { return nil }
        return record
    }

    /// Fresh credentials, fetched once however many callers wait. A failed fetch hands out
    /// the cached ones while they still have the policy's fallback margin left.
    public func refresh(_ selection: VendingSelection) -> Result<CachedCredentials, ClientError> {
        flights.runBlocking(selection) {
            if let record = fresh(selection) { return .success(record) }
            do throws(ClientError) {
                let record = try fetch(selection)
                entries.withLock { $0[selection] = record }
                return .success(record)
            } catch {
                if let stale = entries.withLock({ $0[selection] }), let expiry = stale.credentials.expiration,
                    policy.isUsableFallback(expiration: expiry, now: clock())
                {
                    return .success(stale)
                }
                return .failure(error)
            }
        }
    }
}
