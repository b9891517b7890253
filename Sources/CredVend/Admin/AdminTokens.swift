public import CredVendCore
import CredVendCrypto
import CredVendSync
import Foundation

/// The result of checking a request's bearer token against the token file.
public enum AdminAuthentication: Sendable, Equatable {
    case caller(AdminCaller)
    /// No `Authorization: Bearer` header.
    case missing
    /// A bearer token that is empty or not listed.
    case invalid
}

/// The bearer tokens allowed on the main listener's `/admin/` routes, loaded from
/// `--admin-token-file` and swapped whole on reload (SIGHUP). A presented token is
/// hashed once and compared in constant time against every entry; the loop never
/// stops early, so timing does not tell how many entries were checked.
public final class AdminTokenStore: Sendable {
    public let path: String?
    private let entries: Locked<[AdminTokenEntry]>

    /// Loads `path` (see `AdminTokenFile.load`).
    public init(path: String) throws(AdminTokenFileError) {
        self.path = path
        entries = Locked(try AdminTokenFile.load(path: path))
    }

    /// Fixed entries (tests).
    public init(entries: [AdminTokenEntry]) {
        path = nil
        self.entries = Locked(entries)
    }

    public var count: Int { entries.withLock { $0.count } }

    /// Reads the file again; on success the new entries replace the old ones and the
    /// count is returned, on failure the old entries stay and the error is thrown.
    @discardableResult
    public func reload() throws(AdminTokenFileError) -> Int {
        guard let path else { return count }
        let fresh = try AdminTokenFile.load(path: path)
        entries.withLock { $0 = fresh }
        return fresh.count
    }

    /// Who the `Authorization` header value belongs to.
    public func authenticate(authorization: String?) -> AdminAuthentication {
        guard let authorization else { return .missing }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard let scheme = parts.first, scheme.lowercased() == "bearer" else { return .missing }
        let token = parts.count == 2 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        guard !token.isEmpty else { return .invalid }
        let hash = SHA256.hash(token)
        let snapshot = entries.withLock { $0 }
        var found: AdminTokenEntry?
        for entry in snapshot {
            let equal = ConstantTime.equals(entry.sha256, hash)
            if equal && found == nil { found = entry }
        }
        guard let found else { return .invalid }
        return .caller(.token(role: found.role, tokenHashPrefix: Hex.encode(found.sha256.prefix(4))))
    }
}
