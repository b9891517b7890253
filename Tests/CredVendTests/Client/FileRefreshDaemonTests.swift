import Foundation
import Logging
import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendSync

@Suite struct FileRefreshDaemonTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    final class Script: Sendable {
        let state = Locked<(forced: [Bool], fail: Bool, n: Int)>(([], false, 0))
    }

    func daemon(_ dir: TemporaryDirectory, _ script: Script) -> FileRefreshDaemon {
        let t0 = self.t0
        return FileRefreshDaemon(
            what: "credentials",
            schedule: RefreshSchedule(minRetryDelay: 4, maxRetryDelay: 60),
            clock: { t0 },
            logger: Logger(label: "test"),
            fetch: { force throws(ClientError) in
                let (fail, n) = script.state.withLock { s -> (Bool, Int) in
                    s.forced.append(force)
                    s.n += 1
                    return (s.fail, s.n)
                }
                if fail { throw ClientError(.upstream, "the credential API failed: HTTP 503") }
                return RefreshedFiles(
                    obtainedAt: t0,
                    expiration: t0.addingTimeInterval(3600),
                    files: [(dir.file("a"), Array("version \(n)\n".utf8)), (dir.file("b"), Array("b\(n)".utf8))],
                    metadata: [:]
                )
            }
        )
    }

    func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    /// 15 minutes before the hour's expiry, and the slack that lets the server's cache turn over.
    let wait = 2700 + RefreshSchedule.serverTurnoverSlack

    @Test func aBusyServersRetryAfterIsWaitedAtLeastWithJitter() {
        for (random, expected) in [(0.0, 30.0), (0.5, 37.5)] {
            let d = FileRefreshDaemon(
                what: "credentials",
                schedule: RefreshSchedule(minRetryDelay: 4, maxRetryDelay: 60),
                unitRandom: { random },
                logger: Logger(label: "test"),
                fetch: { _ throws(ClientError) in
                    var busy = ClientError(.upstream, "the credential API failed: HTTP 503")
                    busy.retryAfter = 30
                    throw busy
                }
            )
            // The daemon's own backoff would be 2-4 s after a first failure.
            #expect(d.step() == expected)
        }
    }

    @Test func successWritesEveryFilePrivatelyAndSleepsUntilTheRefreshTime() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let script = Script()
        let d = daemon(dir, script)
        #expect(d.step() == wait)
        #expect(read(dir.file("a")) == "version 1\n" && read(dir.file("b")) == "b1")
        let mode = try FileManager.default.attributesOfItem(atPath: dir.file("a"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(d.step() == wait)
        // The first refresh may come from the cache; later ones are forced.
        #expect(script.state.withLock { $0.forced } == [false, true])
    }

    @Test func aFailureKeepsTheOldFilesAndBacksOff() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let script = Script()
        let d = daemon(dir, script)
        _ = d.step()
        script.state.withLock { $0.fail = true }
        let first = d.step()
        let second = d.step()
        let third = d.step()
        #expect((2..<4).contains(first) && (4..<8).contains(second) && (8..<16).contains(third))
        #expect(read(dir.file("a")) == "version 1\n")
        script.state.withLock { $0.fail = false }
        #expect(d.step() == wait)
        #expect(read(dir.file("a")) == "version 5\n")
        #expect(d.step() == wait)  // the backoff starts over
    }

    @Test func refreshOnceUsesTheCacheAndThrows() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let script = Script()
        try daemon(dir, script).refreshOnce()
        #expect(script.state.withLock { $0.forced } == [false])
        script.state.withLock { $0.fail = true }
        #expect(throws: ClientError.self) { try daemon(dir, script).refreshOnce() }
    }

    @Test func prepareCreatesTheDirectoryAndRemovesLeftoverTemporaries() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let target = dir.file("creds/nested")
        try DaemonFiles.prepare(directory: target, names: ["credentials"])
        let mode = try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        for name in [".credentials.tmp-123-456", ".other.tmp-1-2", "credentials"] {
            _ = FileManager.default.createFile(atPath: target + "/" + name, contents: Data("x".utf8))
        }
        try DaemonFiles.prepare(directory: target, names: ["credentials"])
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: target).sorted() == [".other.tmp-1-2", "credentials"]
        )
    }
}
