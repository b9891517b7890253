import CredVendCore
import Foundation

/// What `roles put` checks in its raw arguments before ArgumentParser's values
/// are used: ArgumentParser keeps the last of a flag given twice, and Swift
/// repairs bytes that are not UTF-8 into U+FFFD, so neither would be seen later.
/// A record flag given twice and an argument that is not UTF-8 are refused, as the
/// JSON paths refuse a field given twice and text that is not UTF-8.
enum RolesPutArguments {
    /// The record flags of `put` and the field each sets.
    static let fields: [(flag: String, field: String)] = [
        ("--role-arn", "role_arn"), ("--server-name", "server_name"), ("--bucket", "bucket"),
        ("--s3-path-prefix", "s3_path_prefix"), ("--permission", "permission"),
        ("--session-duration", "session_duration_s"),
    ]

    /// The process's arguments as the kernel holds them (without argv[0]); the
    /// UTF-8 of `CommandLine.arguments` when /proc cannot be read.
    static func raw() -> [[UInt8]] {
        if let data = FileManager.default.contents(atPath: "/proc/self/cmdline"), !data.isEmpty {
            var args = Array(data).split(separator: 0, omittingEmptySubsequences: false).map(Array.init)
            if args.last?.isEmpty == true { args.removeLast() }  // the final NUL
            return Array(args.dropFirst())
        }
        return CommandLine.arguments.dropFirst().map { Array($0.utf8) }
    }

    /// Throws for the first record flag given more than once, or record flag value that is
    /// not UTF-8, naming the field (up to a `--`, after which everything is a positional value).
    /// Other arguments (a --db path) may be any bytes; a client_id that is not UTF-8
    /// cannot pass its own rule.
    static func check(_ arguments: [[UInt8]], clientId: String) throws(RoleValidationError) {
        var seen: Set<String> = []
        var valueOf: String? = nil  // the field whose flag came just before, without `=`
        for argument in arguments {
            if let field = valueOf {
                valueOf = nil
                try utf8(argument, field: field, clientId: clientId)
                continue
            }
            if argument.elementsEqual("--".utf8) { break }
            for (flag, field) in fields {
                let joined = argument.starts(with: (flag + "=").utf8)
                guard joined || argument.elementsEqual(flag.utf8) else { continue }
                guard seen.insert(field).inserted else {
                    throw RoleValidationError(
                        clientId: clientId,
                        field: field,
                        message: "given more than once (\(flag)); a field may appear only once"
                    )
                }
                if joined {
                    try utf8(argument.dropFirst(flag.utf8.count + 1), field: field, clientId: clientId)
                } else {
                    valueOf = field
                }
            }
        }
    }

    private static func utf8(
        _ value: some Collection<UInt8>,
        field: String,
        clientId: String
    )
        throws(RoleValidationError)
    {
        guard String(validating: value, as: UTF8.self) == nil else { return }
        throw RoleValidationError(clientId: clientId, field: field, message: "must be valid UTF-8")
    }
}
