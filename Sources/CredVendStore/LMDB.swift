// The only file that imports CLMDB. It owns the MDB_env, hands out read and
// write transaction scopes, and turns every LMDB return code into LMDBError.
// No pointer leaves this file: keys and values cross as [UInt8] copies made
// inside the transaction.
internal import CLMDB
import CredVendCore
import CredVendCrypto
import CredVendSystem
import Foundation
import Synchronization

/// A named database inside an environment, opened once and kept (an LMDB
/// `MDB_dbi` handle stays valid for the environment's lifetime).
public struct LMDBDatabase: Sendable, Hashable {
    fileprivate let dbi: UInt32
    public let name: String
}

/// One LMDB environment (a directory holding `data.mdb` and `lock.mdb`).
///
/// Opened with `MDB_NOTLS`, so a read transaction belongs to its scope, not to
/// a thread. Each thread keeps one read transaction of its own (up to
/// `pooledReaders` threads), reset after every `read` and renewed
/// (`mdb_txn_renew`) by the next one on that thread: a lookup is one renew +
/// get + reset, with no reader-slot allocation and no lock shared between
/// threads. A renewed transaction sees the latest commit of any process.
///
/// LMDB rule that applies to users: do not open the same directory twice in
/// one process at the same time (its POSIX locks are per process), and do not
/// start a `write` inside a `write` (the writer lock is not re-entrant).
///
/// Unlinking or renaming the files of an open environment does not disturb it: it
/// keeps reading the files it opened. `identity` says which files those are, so a
/// caller can tell when the directory holds other ones, and `close` ends the
/// environment safely while other threads may still be in a transaction.
public final class LMDBEnvironment: @unchecked Sendable {
    // @unchecked: an MDB_env opened with MDB_NOTLS may be used from any thread; per-thread
    // readers are thread-local, the registry and dbi opening are guarded by locks, and the
    // active-transaction count is atomic (see `enterTransaction`); every use of `env` is
    // counted in it, so `close` never frees the environment under a transaction.

    public struct Options: Sendable {
        /// The most the data file may grow to. LMDB reserves this much address space.
        public var mapSize: Int = 1 << 30
        public var maxDatabases: Int = 8
        /// Open with MDB_RDONLY: no write transaction, no data-file change.
        public var readOnly: Bool = false
        /// Create the directory (mode 0700, parents too) and the store if missing.
        /// When false, a missing store is `LMDBError.Code.storeMissing`.
        public var create: Bool = true
        /// Threads that keep a read transaction of their own for renewal (each holds a
        /// reader slot); reads on further threads begin and abort a transaction each.
        public var pooledReaders: Int = 16

        public init(
            mapSize: Int = 1 << 30,
            maxDatabases: Int = 8,
            readOnly: Bool = false,
            create: Bool = true,
            pooledReaders: Int = 16
        ) {
            self.mapSize = mapSize
            self.maxDatabases = maxDatabases
            self.readOnly = readOnly
            self.create = create
            self.pooledReaders = pooledReaders
        }
    }

    public let path: String
    public let options: Options
    private let env: OpaquePointer
    private let lock = NSLock()
    /// Transactions of this process in flight (mdb_env_set_mapsize needs none).
    private let activeTransactions = Atomic<Int>(0)
    /// Set while a grown map is being adopted: no transaction may start meanwhile.
    private let resizing = Atomic<Bool>(false)
    /// Set by `close`: no transaction may start; the last one to end closes the environment.
    private let closing = Atomic<Bool>(false)
    /// mdb_env_close has been claimed (it runs once).
    private let closed = Atomic<Bool>(false)
    /// mdb_env_close has returned: the files are no longer open here.
    private let closeDone = Atomic<Bool>(false)
    private let readers: ReaderRegistry
    private let threadReader = ThreadLocal<ThreadReader>()

    public init(path: String, options: Options = Options()) throws(LMDBError) {
        self.path = path
        self.options = options
        readers = ReaderRegistry(limit: max(0, options.pooledReaders))
        let opening = "open role store at \(path)"
        if options.create && !options.readOnly {
            try makeLMDBDirectories(path, operation: opening)
        } else {
            try requireExistingLMDBStore(path, operation: opening)
        }
        var handle: OpaquePointer?
        try check(mdb_env_create(&handle), opening)
        guard let handle else { throw LMDBError(status: ENOMEM, operation: opening) }
        do {
            try check(mdb_env_set_mapsize(handle, options.mapSize), "\(opening) (map size \(options.mapSize))")
            try check(mdb_env_set_maxdbs(handle, MDB_dbi(options.maxDatabases)), opening)
            let flags = UInt32(MDB_NOTLS) | (options.readOnly ? UInt32(MDB_RDONLY) : 0)
            try check(mdb_env_open(handle, path, flags, 0o600), opening)
        } catch {
            mdb_env_close(handle)  // required after a failed mdb_env_open, harmless before it
            throw error
        }
        env = handle
        identity = Self.identity(of: handle, path: path)
    }

    deinit {
        if !closed.load(ordering: .sequentiallyConsistent) { closeNow() }
    }

    /// Closes the environment once no transaction of this process is using it: from
    /// now on every call fails with `LMDBError.Code.closed` (`lastTransactionId` and
    /// `mapSize` answer nil / the option), transactions under way finish first, and the
    /// last of them closes it. Idempotent. For a store whose directory was removed or
    /// replaced: the files stay mapped until then, never after.
    public func close() {
        closing.store(true, ordering: .sequentiallyConsistent)
        if activeTransactions.load(ordering: .sequentiallyConsistent) == 0 { finishClose() }
    }

    /// True once `close` has taken effect: mdb_env_close has returned, so the store's
    /// files may be opened again in this process.
    public var isClosed: Bool { closeDone.load(ordering: .sequentiallyConsistent) }

    /// The `data.mdb` (from its open descriptor) and `lock.mdb` (by path, just after
    /// the open) that this environment uses.
    public let identity: LMDBStoreIdentity

    private static func identity(of handle: OpaquePointer, path: String) -> LMDBStoreIdentity {
        var fd: mdb_filehandle_t = -1
        var data = LMDBFileIdentity(device: 0, inode: 0)
        if mdb_env_get_fd(handle, &fd) == MDB_SUCCESS, case .success(let status) = FileStatus.of(descriptor: fd) {
            data = LMDBFileIdentity(status)
        }
        let lock = try? FileStatus.of(path: path + "/lock.mdb").get()
        return LMDBStoreIdentity(data: data, lock: lock.map(LMDBFileIdentity.init))
    }

    /// Throws `.corrupted` when the data file is shorter than the pages its newest meta
    /// page says are in use: a copy still being written, or a truncated file. Reading
    /// such a page through the map would fault, so a store that fails this is not used.
    public func checkDataFileLength() throws(LMDBError) {
        let operation = "check the data file of \(path)"
        try enterTransaction()
        defer { leaveTransaction() }
        var info = MDB_envinfo()
        var pages = MDB_stat()
        var fd: mdb_filehandle_t = -1
        try check(mdb_env_info(env, &info), operation)
        try check(mdb_env_stat(env, &pages), operation)
        try check(mdb_env_get_fd(env, &fd), operation)
        let size: Int64
        switch FileStatus.of(descriptor: fd) {
        case .success(let status): size = status.size
        case .failure(let error): throw LMDBError(status: error.code, operation: operation)
        }
        let needed = (info.me_last_pgno + 1) * Int(pages.ms_psize)
        if Int(size) < needed {
            throw LMDBError(
                code: .corrupted,
                status: MDB_CORRUPTED,
                operation: operation,
                detail: "data.mdb has \(size) bytes but its pages need \(needed)"
            )
        }
    }

    private func finishClose() {
        guard closed.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged
        else { return }
        closeNow()
    }

    private func closeNow() {
        readers.close()  // aborts every thread's reader; threads exiting later find it closed
        mdb_env_close(env)
        closeDone.store(true, ordering: .sequentiallyConsistent)
    }

    /// Opens (or with `create`, creates) a named database. Call once and keep the
    /// result. Returns nil when it does not exist and `create` is false.
    public func openDatabase(named name: String, create: Bool) throws(LMDBError) -> LMDBDatabase? {
        let operation = "open database '\(name)' in \(path)"
        if create && options.readOnly { throw readOnlyError(operation) }
        // LMDB: mdb_dbi_open must not run concurrently, and its transaction must end
        // before another one may call it.
        try enterTransaction()
        defer { leaveTransaction() }
        lock.lock()
        defer { lock.unlock() }
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, create ? 0 : UInt32(MDB_RDONLY), &txn), operation)
        var dbi = MDB_dbi()
        let rc = mdb_dbi_open(txn, name, create ? UInt32(MDB_CREATE) : 0, &dbi)
        if rc == MDB_NOTFOUND {
            mdb_txn_abort(txn)
            return nil
        }
        guard rc == MDB_SUCCESS else {
            mdb_txn_abort(txn)
            throw LMDBError(status: rc, operation: operation)
        }
        try check(mdb_txn_commit(txn), operation)
        return LMDBDatabase(dbi: dbi, name: name)
    }

    /// Runs `body` in a read-only snapshot taken now. The transaction must not
    /// outlive `body` (it is `borrowing` and cannot be stored).
    // Never specialized: Swift 6.3's generic specializer crashes on this borrowing
    // ~Copyable closure parameter in release builds ("Cannot initialize a nonCopyable
    // type with a guaranteed value"). The request path uses `lookup`, which is not generic.
    @_semantics("optimize.sil.specialize.generic.never")
    public func read<R>(_ body: (borrowing LMDBReadTransaction) throws -> R) throws -> R {
        let (txn, owner) = try beginRead()
        defer { endRead(txn, owner: owner) }
        return try body(LMDBReadTransaction(txn: txn, path: path))
    }

    /// What `lookup` found, and the id of the snapshot it looked in (`mdb_txn_id`).
    public enum Lookup: Sendable, Equatable {
        case missing
        /// The stored value equals the `known` bytes given.
        case unchanged
        case value([UInt8])
    }

    /// The value under `key` in a snapshot taken now; `.unchanged` (no copy) when its
    /// SHA-256 is `knownDigest`. For callers that keep a decoded copy of a record and only
    /// need to know whether it changed (non-generic: the request path's lookup).
    public func lookup(
        _ key: [UInt8],
        in db: LMDBDatabase,
        unlessDigestIs knownDigest: [UInt8]?
    ) throws(LMDBError) -> (found: Lookup, snapshot: Int) {
        let (txn, owner) = try beginRead()
        defer { endRead(txn, owner: owner) }
        let snapshot = Int(mdb_txn_id(txn))
        var value = MDB_val()
        let rc = key.withUnsafeBytes { k in
            var keyVal = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            return mdb_get(txn, db.dbi, &keyVal, &value)
        }
        if rc == MDB_NOTFOUND { return (.missing, snapshot) }
        try check(rc, "get from '\(db.name)' in \(path)")
        let stored = UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size)
        if let knownDigest, SHA256.hash(stored) == knownDigest { return (.unchanged, snapshot) }
        return (.value(stored.isEmpty ? [] : Array(stored)), snapshot)
    }

    /// Runs `body` in the write transaction: committed when `body` returns,
    /// aborted (nothing written) when it throws or the commit fails.
    @_semantics("optimize.sil.specialize.generic.never")  // as `read`
    public func write<R>(_ body: (borrowing LMDBWriteTransaction) throws -> R) throws -> R {
        let txn = try beginWrite()
        defer { leaveTransaction() }
        let result: R
        do {
            result = try body(LMDBWriteTransaction(reader: LMDBReadTransaction(txn: txn, path: path)))
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
        try check(mdb_txn_commit(txn), "commit to \(path)")  // commit frees txn on failure too
        return result
    }

    /// The id of the environment's last committed write transaction (by any process), from
    /// the meta pages, without a transaction. A writer updates the meta page before the
    /// snapshot that new readers get, so this is never below the id of a read snapshot
    /// taken before it: a value read in snapshot X is current while this is still X.
    /// Nil if LMDB cannot say.
    public var lastTransactionId: Int? {
        guard (try? enterTransaction()) != nil else { return nil }
        defer { leaveTransaction() }
        var info = MDB_envinfo()
        return mdb_env_info(env, &info) == MDB_SUCCESS ? info.me_last_txnid : nil
    }

    /// The map size in effect (may exceed the one asked for when the store was larger).
    public var mapSize: Int {
        guard (try? enterTransaction()) != nil else { return options.mapSize }
        defer { leaveTransaction() }
        var info = MDB_envinfo()
        return mdb_env_info(env, &info) == MDB_SUCCESS ? info.me_mapsize : options.mapSize
    }

    // MARK: - transaction lifecycle

    /// Counts a transaction in, unless a grown map is being adopted; then waits for that.
    /// Refused once `close` was called: counted in first, then `closing` checked, so that
    /// `close` (which sets `closing`, then reads the count) either sees this transaction
    /// or this transaction sees `closing`.
    private func enterTransaction() throws(LMDBError) {
        while true {
            activeTransactions.add(1, ordering: .sequentiallyConsistent)
            if closing.load(ordering: .sequentiallyConsistent) {
                leaveTransaction()
                throw LMDBError(code: .closed, status: EBADF, operation: "use \(path)", detail: "environment closed")
            }
            if !resizing.load(ordering: .sequentiallyConsistent) { return }
            leaveTransaction()
            lock.withLock {}  // the adoption holds the lock until it is done
        }
    }

    /// Counts a transaction out; the last one out of a closing environment closes it.
    private func leaveTransaction() {
        let left = activeTransactions.subtract(1, ordering: .sequentiallyConsistent).newValue
        if left == 0, closing.load(ordering: .sequentiallyConsistent) { finishClose() }
    }

    /// This thread's reader renewed, or a transaction of its own (`owner` nil) when the
    /// thread has none to spare. Only a thread's first read takes a lock (the registry's).
    private func beginRead() throws(LMDBError) -> (OpaquePointer, ThreadReader?) {
        try enterTransaction()
        var rc: Int32 = MDB_SUCCESS
        if let mine = threadReader.value, !mine.busy {
            rc = mdb_txn_renew(mine.txn)
            if rc == MDB_SUCCESS {
                mine.busy = true
                return (mine.txn, mine)
            }
            threadReader.value = nil  // its deinit aborts the transaction
        }
        var txn: OpaquePointer?
        if rc != MDB_MAP_RESIZED { rc = mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn) }
        if rc == MDB_MAP_RESIZED, adoptGrownMap(ownTransactions: 1) {
            rc = mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn)
        }
        guard rc == MDB_SUCCESS, let txn else {
            leaveTransaction()
            throw LMDBError(status: rc == MDB_SUCCESS ? EINVAL : rc, operation: "read from \(path)")
        }
        if threadReader.value == nil, readers.adopt(txn) {
            let mine = ThreadReader(txn: txn, registry: readers)
            mine.busy = true
            threadReader.value = mine
            return (txn, mine)
        }
        return (txn, nil)
    }

    private func endRead(_ txn: OpaquePointer, owner: ThreadReader?) {
        if let owner {
            mdb_txn_reset(txn)
            owner.busy = false
        } else {
            mdb_txn_abort(txn)
        }
        leaveTransaction()
    }

    private func beginWrite() throws(LMDBError) -> OpaquePointer {
        let operation = "write to \(path)"
        if options.readOnly { throw readOnlyError(operation) }
        try enterTransaction()
        var txn: OpaquePointer?
        var rc = mdb_txn_begin(env, nil, 0, &txn)
        if rc == MDB_MAP_RESIZED, adoptGrownMap(ownTransactions: 1) { rc = mdb_txn_begin(env, nil, 0, &txn) }
        guard rc == MDB_SUCCESS, let txn else {
            leaveTransaction()
            throw LMDBError(status: rc == MDB_SUCCESS ? EINVAL : rc, operation: operation)
        }
        return txn
    }

    /// Another process grew the data file past our map: adopt its size, which
    /// LMDB allows only while no other transaction of this process is active
    /// (`ownTransactions` counts the caller's own failed attempt). `resizing`
    /// keeps new transactions from starting meanwhile.
    private func adoptGrownMap(ownTransactions: Int) -> Bool {
        lock.withLock {
            resizing.store(true, ordering: .sequentiallyConsistent)
            defer { resizing.store(false, ordering: .sequentiallyConsistent) }
            return activeTransactions.load(ordering: .sequentiallyConsistent) <= ownTransactions
                && mdb_env_set_mapsize(env, 0) == MDB_SUCCESS
        }
    }

    private func readOnlyError(_ operation: String) -> LMDBError {
        LMDBError(code: .readOnly, status: EACCES, operation: operation, detail: "store opened read-only")
    }
}

/// The read transactions that threads keep for one environment, so that closing
/// the environment can abort them all, and a thread that exits aborts its own.
/// @unchecked Sendable: `txns` and `closed` are only touched under `lock`.
private final class ReaderRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var txns = Set<OpaquePointer>()
    private var closed = false
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Takes `txn` on as a thread's reader, if there is room.
    func adopt(_ txn: OpaquePointer) -> Bool {
        lock.withLock {
            guard !closed, txns.count < limit else { return false }
            txns.insert(txn)
            return true
        }
    }

    /// Aborts a thread's reader (its thread exited or it failed to renew), unless
    /// the environment is already closed, which aborted it then.
    func drop(_ txn: OpaquePointer) {
        lock.withLock {
            if !closed, txns.remove(txn) != nil { mdb_txn_abort(txn) }
        }
    }

    func close() {
        lock.withLock {
            closed = true
            for txn in txns { mdb_txn_abort(txn) }
            txns.removeAll()
        }
    }
}

/// One thread's reset read transaction.
/// @unchecked Sendable: used only by the thread whose `ThreadLocal` holds it (and by
/// that thread's exit, which runs `deinit`).
private final class ThreadReader: @unchecked Sendable {
    let txn: OpaquePointer
    let registry: ReaderRegistry
    /// A `read` on this thread is using it (a nested read then takes its own).
    var busy = false

    init(txn: OpaquePointer, registry: ReaderRegistry) {
        self.txn = txn
        self.registry = registry
    }

    deinit { registry.drop(txn) }
}

/// A read snapshot, valid only inside `LMDBEnvironment.read` (or `write`).
public struct LMDBReadTransaction: ~Copyable {
    fileprivate let txn: OpaquePointer
    fileprivate let path: String

    /// A copy of the value stored under `key`, or nil.
    public func get(_ key: [UInt8], in db: LMDBDatabase) throws(LMDBError) -> [UInt8]? {
        var value = MDB_val()
        let rc = key.withUnsafeBytes { k in
            var keyVal = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            return mdb_get(txn, db.dbi, &keyVal, &value)
        }
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "get from '\(db.name)' in \(path)")
        return copy(value)
    }

    /// Calls `body` with a copy of each key and value, in key order.
    public func forEach(in db: LMDBDatabase, _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Void) throws {
        let operation = "read '\(db.name)' in \(path)"
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, db.dbi, &cursor), operation)
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var value = MDB_val()
        var rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
        while rc == MDB_SUCCESS {
            try body(copy(key), copy(value))
            rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
        }
        if rc != MDB_NOTFOUND { throw LMDBError(status: rc, operation: operation) }
    }

    /// Number of entries in `db`.
    public func count(in db: LMDBDatabase) throws(LMDBError) -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(txn, db.dbi, &stat), "count '\(db.name)' in \(path)")
        return stat.ms_entries
    }

    private func copy(_ val: MDB_val) -> [UInt8] {
        guard val.mv_size > 0, let base = val.mv_data else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: val.mv_size))
    }
}

/// The write transaction, valid only inside `LMDBEnvironment.write`. Reads see
/// its own uncommitted writes.
public struct LMDBWriteTransaction: ~Copyable {
    fileprivate let reader: LMDBReadTransaction

    public func get(_ key: [UInt8], in db: LMDBDatabase) throws(LMDBError) -> [UInt8]? {
        try reader.get(key, in: db)
    }

    public func forEach(in db: LMDBDatabase, _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Void) throws {
        try reader.forEach(in: db, body)
    }

    public func count(in db: LMDBDatabase) throws(LMDBError) -> Int { try reader.count(in: db) }

    /// Stores `value` under `key`, replacing any value there.
    public func put(_ key: [UInt8], _ value: [UInt8], in db: LMDBDatabase) throws(LMDBError) {
        let rc = key.withUnsafeBytes { k in
            value.withUnsafeBytes { v in
                var keyVal = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
                var valueVal = MDB_val(mv_size: v.count, mv_data: UnsafeMutableRawPointer(mutating: v.baseAddress))
                return mdb_put(reader.txn, db.dbi, &keyVal, &valueVal, 0)
            }
        }
        try check(rc, "put into '\(db.name)' in \(reader.path)")
    }

    /// Removes `key`; false when it was not there.
    public func delete(_ key: [UInt8], in db: LMDBDatabase) throws(LMDBError) -> Bool {
        let rc = key.withUnsafeBytes { k in
            var keyVal = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            return mdb_del(reader.txn, db.dbi, &keyVal, nil)
        }
        if rc == MDB_NOTFOUND { return false }
        try check(rc, "delete from '\(db.name)' in \(reader.path)")
        return true
    }
}

// MARK: - return codes

private func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
    guard rc != MDB_SUCCESS else { return }
    throw LMDBError(status: rc, operation: operation())
}

extension LMDBError {
    /// Classifies an LMDB return code or errno and attaches mdb_strerror's text.
    init(status: Int32, operation: String) {
        let detail = mdb_strerror(status).map { String(cString: $0) } ?? "error \(status)"
        self.init(code: LMDBError.classify(status), status: status, operation: operation, detail: detail)
    }

    static func classify(_ status: Int32) -> Code {
        switch status {
        case MDB_MAP_FULL: .mapFull
        case MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INVALID, MDB_PANIC: .corrupted
        case MDB_VERSION_MISMATCH, MDB_INCOMPATIBLE: .incompatible
        case MDB_MAP_RESIZED: .mapResized
        case MDB_DBS_FULL: .tooManyDatabases
        case MDB_READERS_FULL: .readersFull
        case MDB_BAD_VALSIZE: .invalidValue
        case EBADF: .closed
        case EROFS: .readOnly
        case EACCES, EPERM: .permissionDenied
        case ENOENT: .storeMissing
        case ENOTDIR, EISDIR: .notADirectory
        case EAGAIN, EBUSY: .busy
        case ENOSPC, ENOMEM, EDQUOT: .diskFull
        default: .other
        }
    }
}
