import Foundation
import CredVendSystem

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
