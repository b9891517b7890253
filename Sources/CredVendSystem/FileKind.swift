import Glibc

/// What a path names, following symbolic links as stat(2) does.
public enum FileKind: Sendable, Equatable {
    case regular, directory, other

    /// nil when the path cannot be inspected (missing, or a directory on the way is not searchable).
    public init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        default: self = .other
        }
    }
}
