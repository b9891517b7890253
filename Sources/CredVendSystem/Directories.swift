import Glibc

/// Directory steps for stores that live in a directory of their own (LMDB).
public enum Directories {
    /// `mkdir -p` with mode 0700 for each directory it creates; throws the errno of the
    /// first failure (ENOTDIR when a file is in the way).
    public static func createPrivate(_ path: String) throws(Errno) {
        if let kind = FileKind(path: path) {
            guard kind == .directory else { throw Errno(code: ENOTDIR) }
            return
        }
        let parent = parentDirectory(of: path)
        if parent != path { try createPrivate(parent) }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw Errno.current }
    }

    /// Why `path` cannot be reached, nil when it exists: ENOENT, ENOTDIR, EACCES, ...
    public static func unreachable(_ path: String) -> Errno? {
        access(path, F_OK) == 0 ? nil : Errno.current
    }

    private static func parentDirectory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        let parent = trimmed[..<slash]
        return parent.isEmpty ? "/" : String(parent)
    }
}

/// A failed system call's errno.
public struct Errno: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Int32

    public init(code: Int32) { self.code = code }

    /// This thread's errno, right after the call that set it.
    static var current: Errno { Errno(code: errno) }

    public var description: String { String(cString: strerror(code)) }
}
