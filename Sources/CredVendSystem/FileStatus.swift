import Glibc

/// What stat(2) says about one file: which file it is (device and inode) and when it
/// last changed, so callers can tell a replaced or rewritten file without opening it.
public struct FileStatus: Sendable, Equatable {
    public let kind: FileKind
    public let device: UInt64
    public let inode: UInt64
    public let size: Int64
    /// Nanoseconds since the epoch.
    public let modified: Int64
    public let changed: Int64

    /// Follows symbolic links, as stat(2) does.
    public static func of(path: String) -> Result<FileStatus, Errno> {
        var st = stat()
        guard stat(path, &st) == 0 else { return .failure(Errno.current) }
        return .success(FileStatus(st))
    }

    /// The file an open descriptor refers to.
    public static func of(descriptor: Int32) -> Result<FileStatus, Errno> {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { return .failure(Errno.current) }
        return .success(FileStatus(st))
    }

    private init(_ st: stat) {
        kind = FileKind(mode: st.st_mode)
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        modified = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        changed = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
    }
}
