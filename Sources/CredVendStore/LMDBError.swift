/// A failed LMDB call (or a failed file-system step around it), in words an
/// operator can act on. `LMDB.swift` turns every non-zero return code into
/// one of these; nothing in the role store crashes on an LMDB error.
///
/// Compared by `code` only (the category), like the other credvend errors;
/// `status` keeps the raw LMDB/errno value and `detail` LMDB's own text.
import CredVendCore

public struct LMDBError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is; the category decides the advice given.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Backing: Sendable, Hashable {
            case mapFull, readOnly, permissionDenied, storeMissing, notADirectory, busy, readersFull
            case corrupted, incompatible, mapResized, tooManyDatabases, invalidValue, diskFull, closed, other
        }
        fileprivate let backing: Backing
        fileprivate init(_ backing: Backing) { self.backing = backing }

        /// MDB_MAP_FULL: the memory map (the store's maximum size) is used up.
        public static let mapFull = Code(.mapFull)
        /// EROFS, or a write on a store opened read-only.
        public static let readOnly = Code(.readOnly)
        /// EACCES / EPERM on the directory or its files.
        public static let permissionDenied = Code(.permissionDenied)
        /// ENOENT: no store at the path (and it was not to be created).
        public static let storeMissing = Code(.storeMissing)
        /// ENOTDIR / EISDIR: the path, or a parent of it, is not a directory.
        public static let notADirectory = Code(.notADirectory)
        /// EAGAIN / EBUSY: the lock file is held in a way that blocks this open.
        public static let busy = Code(.busy)
        /// MDB_READERS_FULL: every reader slot of the lock file is taken.
        public static let readersFull = Code(.readersFull)
        /// MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INVALID, MDB_PANIC.
        public static let corrupted = Code(.corrupted)
        /// MDB_VERSION_MISMATCH, MDB_INCOMPATIBLE: written by another LMDB version or layout.
        public static let incompatible = Code(.incompatible)
        /// MDB_MAP_RESIZED: another process grew the store beyond this process's map.
        public static let mapResized = Code(.mapResized)
        /// MDB_DBS_FULL: more named databases than the environment allows.
        public static let tooManyDatabases = Code(.tooManyDatabases)
        /// MDB_BAD_VALSIZE and friends: a key or value LMDB cannot store.
        public static let invalidValue = Code(.invalidValue)
        /// ENOSPC / ENOMEM.
        public static let diskFull = Code(.diskFull)
        /// The environment was closed (its directory was removed or replaced while open);
        /// a caller that retries gets whatever store is there now.
        public static let closed = Code(.closed)
        /// Anything else; `status` and `detail` say what.
        public static let other = Code(.other)

        public var description: String { "\(backing)" }
    }

    public let code: Code
    /// The raw return code: an LMDB `MDB_*` value (negative) or an errno.
    public let status: Int32
    /// What was being done, e.g. "open role store at /var/lib/credvend".
    public let operation: String
    /// LMDB's text for `status` (mdb_strerror).
    public let detail: String

    public init(code: Code, status: Int32, operation: String, detail: String) {
        self.code = code
        self.status = status
        self.operation = operation
        self.detail = detail
    }

    /// The advice for this category, without the raw detail.
    public var reason: String {
        switch code.backing {
        case .mapFull: "role store is full; raise --map-size"
        case .readOnly: "the role store is read-only (read-only file system, or opened for reading)"
        case .permissionDenied: "permission denied; check the owner and mode of the store directory and its files"
        case .storeMissing: "no role store there (create one with `credvend roles import` or `put`)"
        case .notADirectory: "the path, or one of its parents, is not a directory"
        case .busy: "the role store is locked by another process"
        case .readersFull: "too many processes or threads are reading the role store at once"
        case .corrupted: "the role store is corrupted; restore it from an export or a backup"
        case .incompatible: "the role store was written by an incompatible LMDB version or layout"
        case .mapResized:
            "another process enlarged the role store beyond this map; retry, or restart with a --map-size at least as large"
        case .tooManyDatabases: "too many named databases in the role store environment"
        case .invalidValue: "a key or value is too large or empty for LMDB"
        case .diskFull: "no space left on the device (or out of memory)"
        case .closed: "the role store was closed because its directory was removed or replaced; retry"
        case .other: "unexpected LMDB error"
        }
    }

    public var description: String { "\(operation): \(reason) (\(detail))" }

    public static func == (lhs: LMDBError, rhs: LMDBError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
