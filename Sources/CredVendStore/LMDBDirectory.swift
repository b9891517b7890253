import Foundation

// File-system steps around opening an LMDB environment. No C module here:
// only POSIX calls, whose errno becomes an LMDBError like LMDB's own codes.

/// `mkdir -p` with mode 0700 for each directory it creates.
func makeLMDBDirectories(_ path: String, operation: String) throws(LMDBError) {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
        if !isDir.boolValue { throw LMDBError(status: ENOTDIR, operation: operation) }
        return
    }
    let parent = (path as NSString).deletingLastPathComponent
    if !parent.isEmpty && parent != path { try makeLMDBDirectories(parent, operation: operation) }
    if mkdir(path, 0o700) != 0 {
        let rc = errno
        if rc != EEXIST { throw LMDBError(status: rc, operation: operation) }
    }
}

/// For opens that must not create anything: the directory and its data file exist.
func requireExistingLMDBStore(_ path: String, operation: String) throws(LMDBError) {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
        // Tell a missing path from one that cannot be reached.
        let rc = access(path, F_OK) == 0 ? ENOENT : errno
        throw LMDBError(status: rc == ENOTDIR ? ENOTDIR : (rc == EACCES ? EACCES : ENOENT), operation: operation)
    }
    guard isDir.boolValue else { throw LMDBError(status: ENOTDIR, operation: operation) }
    guard FileManager.default.fileExists(atPath: path + "/data.mdb") else {
        throw LMDBError(status: ENOENT, operation: operation)
    }
}
