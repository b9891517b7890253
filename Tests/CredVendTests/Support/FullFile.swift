import Foundation

/// A regular file that every append fails on (EFBIG): sparse, and already as long as
/// its file system allows. The audit log refuses devices, so /dev/full cannot stand in
/// for a full disk.
enum FullFile {
    /// Creates it at `path` (taking no space) and returns `path`. With `room`, the file is
    /// that many bytes shorter, so a longer write is cut short (a partial write(2)).
    static func make(at path: String, room: UInt64 = 0) throws -> String {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw CocoaError(.fileWriteUnknown) }
        defer { try? handle.close() }
        // The largest length the file system accepts, found by bisection.
        var low: UInt64 = 0
        var high = UInt64(Int64.max)
        while low < high {
            let mid = low + (high - low + 1) / 2
            if (try? handle.truncate(atOffset: mid)) != nil { low = mid } else { high = mid - 1 }
        }
        try handle.truncate(atOffset: low - room)
        return path
    }
}
