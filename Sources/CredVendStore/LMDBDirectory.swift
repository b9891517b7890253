import CredVendSystem
import Foundation

// File-system steps around opening an LMDB environment: CredVendSystem's calls, whose
// errno becomes an LMDBError like LMDB's own codes.

/// `mkdir -p` with mode 0700 for each directory it creates.
func makeLMDBDirectories(_ path: String, operation: String) throws(LMDBError) {
    do {
        try Directories.createPrivate(path)
    } catch {
        throw LMDBError(status: error.code, operation: operation)
    }
}

/// For opens that must not create anything: the directory and its data file exist.
func requireExistingLMDBStore(_ path: String, operation: String) throws(LMDBError) {
    guard let kind = FileKind(path: path) else {
        // Tell a missing path from one that cannot be reached.
        let rc = Directories.unreachable(path)?.code ?? ENOENT
        throw LMDBError(status: rc == ENOTDIR ? ENOTDIR : (rc == EACCES ? EACCES : ENOENT), operation: operation)
    }
    guard kind == .directory else { throw LMDBError(status: ENOTDIR, operation: operation) }
    guard FileKind(path: path + "/data.mdb") != nil else { throw LMDBError(status: ENOENT, operation: operation) }
}

/// A file's device and inode: which file a path named when it was looked at.
public struct LMDBFileIdentity: Sendable, Hashable, CustomStringConvertible {
    public let device: UInt64
    public let inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    init(_ status: FileStatus) { self.init(device: status.device, inode: status.inode) }

    public var description: String { "dev \(device) ino \(inode)" }
}

/// Which `data.mdb` and `lock.mdb` an open environment uses. A directory that no
/// longer holds these two files (moved away, deleted, replaced by a restore) no
/// longer holds the open store, even when its path is the same.
public struct LMDBStoreIdentity: Sendable, Hashable, CustomStringConvertible {
    public let data: LMDBFileIdentity
    /// Nil when the environment has no lock file.
    public let lock: LMDBFileIdentity?

    public init(data: LMDBFileIdentity, lock: LMDBFileIdentity?) {
        self.data = data
        self.lock = lock
    }

    /// True when either file is one of `other`'s (opening one while the other is open
    /// would open the same LMDB file twice in this process).
    public func sharesAFile(with other: LMDBStoreIdentity) -> Bool {
        data == other.data || (lock != nil && lock == other.lock)
    }

    public var description: String {
        "data.mdb \(data), lock.mdb " + (lock.map { "\($0)" } ?? "none")
    }
}

/// What a store directory holds right now, from `stat` alone (no file is opened).
struct LMDBDirectoryObservation: Sendable, Equatable {
    struct File: Sendable, Equatable {
        let identity: LMDBFileIdentity
        let size: Int64
        let modified: Int64  // ns since the epoch
        let changed: Int64

        init(_ status: FileStatus) {
            identity = LMDBFileIdentity(status)
            size = status.size
            modified = status.modified
            changed = status.changed
        }
    }

    let directory: File
    let data: File
    let lock: File?

    var identity: LMDBStoreIdentity { LMDBStoreIdentity(data: data.identity, lock: lock?.identity) }

    /// Nothing was created, removed or written in the directory between `earlier` and
    /// this observation (the lock file's times are left out: readers touch it).
    func isSettled(since earlier: LMDBDirectoryObservation) -> Bool {
        directory == earlier.directory && data == earlier.data && lock?.identity == earlier.lock?.identity
            && lock?.size == earlier.lock?.size
    }

    /// Looks at `path`: the directory, its `data.mdb` (required) and its `lock.mdb`.
    static func look(at path: String) -> Result<LMDBDirectoryObservation, LMDBError> {
        let operation = "look at role store \(path)"
        func failure(_ status: Int32) -> Result<LMDBDirectoryObservation, LMDBError> {
            .failure(LMDBError(status: status, operation: operation))
        }
        do throws(Errno) {
            let dir = try FileStatus.of(path: path).get()
            guard dir.kind == .directory else { return failure(ENOTDIR) }
            let data = try FileStatus.of(path: path + "/data.mdb").get()
            guard data.kind == .regular else { return failure(EISDIR) }
            let lock = FileStatus.of(path: path + "/lock.mdb")
            if case .failure(let error) = lock, error.code != ENOENT { return failure(error.code) }
            return .success(
                LMDBDirectoryObservation(directory: File(dir), data: File(data), lock: (try? lock.get()).map(File.init))
            )
        } catch {
            return failure(error.code)
        }
    }
}
