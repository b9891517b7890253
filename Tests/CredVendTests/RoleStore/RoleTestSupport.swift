import Foundation
import Testing

@testable import CredVendCore

/// A fresh directory under /tmp, removed when the value is released.
final class TempDir {
    let path: String

    init() {
        let base = FileManager.default.temporaryDirectory.path + "/credvend-tests-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }

    /// A path inside this directory (not created).
    func sub(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

enum Sample {
    static let arn = "arn:aws:iam::123456789012:role/oidc-s3-dev-server-01"

    static func mapping(_ n: Int, permission: Permission = .write) -> RoleMapping {
        RoleMapping(
            clientId: clientId(n),
            roleArn: "arn:aws:iam::123456789012:role/server-\(n)",
            serverName: "server-\(n)",
            bucket: "oidc-s3-dev",
            s3PathPrefix: "backups/server-\(n)/",
            permission: permission,
            sessionDurationSeconds: 900 + n
        )
    }

    /// 26 characters like a Cognito app client id, distinct per `n`.
    static func clientId(_ n: Int) -> String {
        let digits = String(n)
        return String(repeating: "c", count: 26 - digits.count) + digits
    }

    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    static var seedFile: URL { repoRoot.appendingPathComponent("seed-data/roles.json") }

    /// The `credvend` executable: $CREDVEND_BIN, else next to the test bundle.
    static var credvendBinary: String? {
        if let bin = ProcessInfo.processInfo.environment["CREDVEND_BIN"],
            FileManager.default.isExecutableFile(atPath: bin)
        {
            return bin
        }
        var candidates: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((exe as NSString).deletingLastPathComponent + "/credvend")
        }
        candidates.append(Bundle.main.bundlePath + "/credvend")
        candidates.append(((Bundle.main.bundlePath as NSString).deletingLastPathComponent as String) + "/credvend")
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// Runs a program to completion; returns its exit status and both outputs.
func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}
