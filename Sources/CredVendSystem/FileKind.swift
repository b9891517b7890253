import Glibc

/// What a path names, following symbolic links as stat(2) does.
public enum FileKind: Sendable, Equatable {
    case regular, directory, other

    /// nil when the path cannot be inspected (missing, or a directory on the way is not searchable).
    public init?(path: String) {
        guard case .success(let status) = FileStatus.of(path: path) else { return nil }
        self = status.kind
    }

    init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        default: self = .other
        }
    }
}
