import Foundation

/// Writes files that hold secrets: mode 0600 from the first byte, fsynced, and
/// renamed into place so that a reader sees the old file or the new one, never
/// a part.
public enum SecretFile {
    public struct WriteError: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    public static func write(_ bytes: [UInt8], to path: String) throws(WriteError) {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let tmp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        var ok = true
        var reason = ""
        do {
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
        } catch {
            ok = false
            reason = "\(error)"
        }
        if ok && fchmod(fd, 0o600) != 0 {
            ok = false
            reason = String(cString: strerror(errno))
        }
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            let why = ok ? String(cString: strerror(errno)) : reason
            unlink(tmp)
            throw WriteError(path: path, reason: why)
        }
        // Make the rename itself durable.
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }
}
