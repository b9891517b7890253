/// Why the transport refused or closed a connection (the `reason` label of
/// `credvend_connections_refused_total`).
public enum ConnectionRefusal: String, Sendable, CaseIterable {
    /// The client's address already holds its share of connections.
    case perAddress = "per_address"
    /// The server holds as many connections as it allows.
    case limit
    /// The request (head and body) was not in within the request deadline.
    case deadline
    /// Not a byte came within the request deadline (after the accept, or after the previous
    /// response on a keep-alive connection).
    case idle
    /// Answered `503` with `Retry-After`, the connection then closed: the request's head sat
    /// whole in its socket for half the request deadline before a worker read it (the
    /// server behind, not the client slow).
    case behind
}

/// What the transport reports about connections and requests it refused itself
/// (they never reach a handler). Called on worker threads: keep it cheap.
public protocol HTTPServerObserver: Sendable {
    func connectionRefused(_ reason: ConnectionRefusal)
    /// A request head refused with 400 for ambiguous framing (see `RequestFraming`).
    func malformedRequest()
    /// A TLS handshake ended, once per connection of a TLS listener that sent a ClientHello.
    func tlsHandshake(_ outcome: TLSHandshakeOutcome)
}

extension HTTPServerObserver {
    /// Observers of plain listeners need not count handshakes.
    public func tlsHandshake(_ outcome: TLSHandshakeOutcome) {}
}

/// Open connections, counted in all and per client address; decides admission.
/// A nil key (a Unix socket peer) counts toward the total only.
public struct ConnectionCounts<Key: Hashable & Sendable>: Sendable {
    public let limit: Int
    /// 0: no limit per address.
    public let perAddressLimit: Int
    public private(set) var total = 0
    private var perKey: [Key: Int] = [:]

    public init(limit: Int, perAddressLimit: Int) {
        self.limit = limit
        self.perAddressLimit = perAddressLimit
    }

    /// nil: admit; otherwise why not.
    public func refusal(for key: Key?) -> ConnectionRefusal? {
        if total >= limit { return .limit }
        if let key, perAddressLimit > 0, perKey[key, default: 0] >= perAddressLimit { return .perAddress }
        return nil
    }

    public mutating func opened(_ key: Key?) {
        total += 1
        if let key { perKey[key, default: 0] += 1 }
    }

    public mutating func closed(_ key: Key?) {
        total = max(0, total - 1)
        guard let key, let n = perKey[key] else { return }
        if n <= 1 { perKey.removeValue(forKey: key) } else { perKey[key] = n - 1 }
    }

    public func count(for key: Key) -> Int { perKey[key, default: 0] }
    /// Addresses with at least one connection.
    public var addresses: Int { perKey.count }
}

/// Sizing the connection limit from the process's open-file limit (`ulimit -n`):
/// every connection is a descriptor, and the rest of the process needs some too.
public enum ConnectionBudget {
    /// Descriptors kept back for everything but client connections: stdio and the
    /// audit log, the LMDB data and lock files, libcurl's sockets to STS and the
    /// issuer, the listening sockets and each worker's epoll and wake-up descriptors.
    public static let reservedDescriptors = 128
    /// The default never exceeds this (each connection may hold 32 KiB of buffers).
    public static let defaultCeiling = 16_384

    /// The most connections the main listener may hold: the open-file limit less the
    /// reserve and `otherConnections` (other listeners). nil `openFileLimit`: unlimited.
    public static func maximum(openFileLimit: Int?, otherConnections: Int) -> Int {
        guard let openFileLimit else { return Int(Int32.max) }
        return max(1, openFileLimit - reservedDescriptors - otherConnections)
    }

    /// The limit when none is given: the maximum, at most `defaultCeiling`.
    public static func defaultLimit(openFileLimit: Int?, otherConnections: Int) -> Int {
        min(defaultCeiling, maximum(openFileLimit: openFileLimit, otherConnections: otherConnections))
    }
}
