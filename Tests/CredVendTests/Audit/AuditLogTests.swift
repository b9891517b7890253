import CredVendSystem
import Foundation
import Logging
import Testing

@testable import CredVend

@Suite struct AuditLogTests {
    let logger = Logger(label: "test")

    func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func createsA0600FileAndAppends() throws {
        let tmp = TempDir()
        let path = tmp.sub("audit.jsonl")
        try "earlier\n".write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let log = try AuditLog(path: path, metrics: nil, logger: logger)
        #expect(try mode(path) == 0o600)  // narrowed
        #expect(log.write("{\"a\":1}\n"))
        #expect(log.write("{\"a\":2}\n"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "earlier\n{\"a\":1}\n{\"a\":2}\n")

        let fresh = tmp.sub("new.jsonl")
        _ = try AuditLog(path: fresh, metrics: nil, logger: logger)
        #expect(try mode(fresh) == 0o600)
    }

    @Test func anUnopenablePathIsAConfigurationError() {
        let tmp = TempDir()
        #expect { try AuditLog(path: tmp.sub("no/such/dir/audit"), metrics: nil, logger: logger) } throws: {
            "\($0)".contains("--audit-log") && "\($0)".contains("No such file")
        }
    }

    @Test func onlyARegularFileIsAnAuditLog() throws {
        #expect { try AuditLog(path: "/dev/null", metrics: nil, logger: logger) } throws: {
            "\($0)".contains("--audit-log /dev/null is not a regular file")
        }
    }

    @Test func aFailedWriteIsCountedAndReported() throws {
        let tmp = TempDir()
        let metrics = ServerMetrics()
        let log = try AuditLog(path: try FullFile.make(at: tmp.sub("full")), metrics: metrics, logger: logger)
        #expect(!log.write("{}\n"))
        #expect(!log.write("{}\n"))
        #expect(metrics.auditWriteFailures.current == 2)
        #expect(metrics.render().contains("credvend_audit_write_failures_total 2"))
    }

    /// A record cut short (the disk filled mid-write) is removed again, so the next one
    /// does not begin on the tail of a part line.
    @Test func aShortWriteIsRolledBackAndCounted() throws {
        let tmp = TempDir()
        let path = try FullFile.make(at: tmp.sub("nearly-full"), room: 5)
        let size = { try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) }
        let before = try size()
        #expect {
            try AppendOnlyFile(path: path).append(Array("{\"a\":1}\n".utf8))
        } throws: {
            "\($0)".contains("only 5 of 8 bytes were written; the part was removed")
        }
        #expect(try size() == before)

        let metrics = ServerMetrics()
        let log = try AuditLog(path: path, metrics: metrics, logger: logger)
        #expect(!log.write("{\"a\":2}\n"))
        #expect(try size() == before)
        #expect(log.write("{}\n"))  // one that fits is written whole
        #expect(try size() == before + 3)
        #expect(metrics.auditWriteFailures.current == 1)
    }

    @Test func reopenFollowsRotation() throws {
        let tmp = TempDir()
        let path = tmp.sub("audit.jsonl")
        let log = try AuditLog(path: path, metrics: nil, logger: logger)
        log.write("one\n")
        try FileManager.default.moveItem(atPath: path, toPath: tmp.sub("audit.jsonl.1"))
        log.write("two\n")  // still the old file
        try log.reopen()
        log.write("three\n")
        #expect(try String(contentsOfFile: tmp.sub("audit.jsonl.1"), encoding: .utf8) == "one\ntwo\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "three\n")
    }

    @Test func concurrentWritersNeverInterleaveLines() async throws {
        let tmp = TempDir()
        let path = tmp.sub("audit.jsonl")
        let log = try AuditLog(path: path, metrics: nil, logger: logger)
        let padding = String(repeating: "x", count: 300)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for n in 0..<250 { log.write("{\"w\":\(writer),\"n\":\(n),\"p\":\"\(padding)\"}\n") }
                }
            }
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2000)
        for line in lines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil)
        }
    }
}
