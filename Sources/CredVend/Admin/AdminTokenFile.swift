public import CredVendCore
import Foundation

/// One line of `--admin-token-file`: a role and the SHA-256 of a bearer token.
public struct AdminTokenEntry: Sendable, Equatable {
    public let role: AdminRole
    public let sha256: [UInt8]
    /// 1-based line number in the file, for messages.
    public let line: Int

    public init(role: AdminRole, sha256: [UInt8], line: Int) {
        self.role = role
        self.sha256 = sha256
        self.line = line
    }
}

/// Why a token file was refused. Names the file and line; never repeats a line's
/// contents, since an operator may have pasted a raw token by mistake.
public struct AdminTokenFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public var path: String?
    public var line: Int?
    public let message: String

    public init(path: String? = nil, line: Int? = nil, _ message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        var where_ = path.map { "admin token file \($0)" } ?? "admin token file"
        if let line { where_ += ", line \(line)" }
        return "\(where_): \(message)"
    }
}

/// The admin token file (docs/reference.md#admin-api): one `ROLE SHA256HEX` per line, ROLE `admin` or
/// `reader`, SHA256HEX the 64 hex digits of the SHA-256 of the raw token. Blank
/// lines and `#` comments (whole lines, or after the hash) are ignored.
public enum AdminTokenFile {
    public static let format = "ROLE SHA256HEX (ROLE admin or reader, SHA256HEX 64 hex digits)"

    /// Every entry, or the first problem with its line number.
    public static func parse(_ text: String) throws(AdminTokenFileError) -> [AdminTokenEntry] {
        var entries: [AdminTokenEntry] = []
        var seen: [[UInt8]: Int] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = raw.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields.count == 2 || fields[2].hasPrefix("#") else {
                throw AdminTokenFileError(line: number, "expected \(format)")
            }
            guard let role = AdminRole(rawValue: String(fields[0])) else {
                throw AdminTokenFileError(line: number, "the role must be admin or reader; expected \(format)")
            }
            let hex = String(fields[1])
            guard hex.utf8.count == 64, let hash = Hex.decode(hex) else {
                throw AdminTokenFileError(
                    line: number,
                    "the second field (\(hex.utf8.count) characters) is not a SHA-256 in hex: expected 64 hex digits, "
                        + "the SHA-256 of the token, never the token itself"
                )
            }
            if let first = seen.updateValue(number, forKey: hash) {
                throw AdminTokenFileError(line: number, "the same token hash is already listed on line \(first)")
            }
            entries.append(AdminTokenEntry(role: role, sha256: hash, line: number))
        }
        return entries
    }

    /// Reads and parses `path`. Refuses a file that is not a regular file, or that
    /// group or others may read or write (it decides who administers the server).
    public static func load(path: String) throws(AdminTokenFileError) -> [AdminTokenEntry] {
        try checkPrivate(path: path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AdminTokenFileError(path: path, "cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw AdminTokenFileError(path: path, "is not UTF-8 text")
        }
        do {
            return try parse(text)
        } catch var error {
            error.path = path
            throw error
        }
    }

    /// A regular file with no permission bits for group or others (e.g. mode 0600 or 0400).
    public static func checkPrivate(path: String) throws(AdminTokenFileError) {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved) else {
            throw AdminTokenFileError(path: path, "does not exist or cannot be read")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw AdminTokenFileError(path: path, "is not a regular file")
        }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        guard mode & 0o077 == 0 else {
            throw AdminTokenFileError(
                path: path,
                "has mode \(String(mode & 0o777, radix: 8, uppercase: false).leftPadded(to: 4)): group or others may access it; "
                    + "run chmod 600 \(path)"
            )
        }
    }
}
