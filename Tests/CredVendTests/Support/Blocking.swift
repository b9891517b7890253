import Foundation

/// Runs blocking work (HTTPClient.send, sleeps, process waits) on a thread of its own, so it
/// never occupies one of the few threads of the Swift concurrency pool (2 on a 2-core box),
/// which deferred handlers built on `Task` need to make progress.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}

/// Seconds elapsed while running `body`.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let value = try body()
    return (value, seconds(ContinuousClock.now - start))
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// A fresh directory under the system temp dir, removed by `remove()`.
struct TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        // Short: a Unix socket path must fit in 108 bytes.
        path = "/tmp/cv-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs a command to completion (bounded) and returns its standard output.
@discardableResult
func run(_ arguments: [String], in directory: String? = nil, timeout: Double = 30) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    if process.isRunning {
        process.terminate()
        throw CommandError(message: "\(arguments.joined(separator: " ")) did not finish in \(timeout) s")
    }
    guard process.terminationStatus == 0 else {
        throw CommandError(message: "\(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
    }
    return String(decoding: data, as: UTF8.self)
}

struct CommandError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A python helper (TLS server, slow client) in the background, stopped by PID.
final class BackgroundProcess: @unchecked Sendable {  // only used from the test that owns it
    private let process = Process()

    /// Threads of the Swift concurrency pool block most signals and a spawned child inherits
    /// that mask, so the script first unblocks SIGTERM, or `stop()` would need SIGKILL.
    init(python script: String, _ arguments: [String]) throws {
        let prologue = "import signal; signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])\n"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", prologue + script] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var exitStatus: Int32 { process.terminationStatus }

    /// Waits up to `timeout` seconds for the process to exit by itself.
    func wait(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return !process.isRunning
    }

    /// SIGTERM to the PID, then SIGKILL if it is still there after 5 s.
    func stop() {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        if !wait(timeout: 5) { kill(pid, SIGKILL) }
        _ = wait(timeout: 5)
    }
}

/// Polls for a file written by a helper process (its port), up to `timeout` seconds.
func waitForFile(_ path: String, timeout: Double = 15) -> String? {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty { return text }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return nil
}

/// Polls `condition` every 10 ms for up to `timeout` seconds.
func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() >= deadline { return false }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return true
}
