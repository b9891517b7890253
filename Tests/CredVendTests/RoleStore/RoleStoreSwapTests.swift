import Foundation
import Synchronization
import Testing

@testable import CredVendCore
@testable import CredVendStore
@testable import CredVendSync

/// The directory of an open RoleStore moved away, replaced or deleted (a restore from
/// backup): the store serves what is in the directory now, or fails while nothing is,
/// and never the records of the store that left.
@Suite struct RoleStoreSwapTests {
    /// Looks on the call path at most this often.
    static let interval: Duration = .milliseconds(20)
    /// How long a test waits for a switch to be seen.
    static let bound: TimeInterval = 2

    /// Calls `body` until it gives a value or `bound` passes; errors count as no value.
    func within<T>(_ bound: TimeInterval = bound, _ body: () throws -> T?) -> T? {
        let deadline = Date().addingTimeInterval(bound)
        while true {
            if let value = try? body() { return value }
            if Date() >= deadline { return nil }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    /// A closed store at `path` holding `mappings`.
    func makeStore(_ path: String, _ mappings: [RoleMapping]) throws {
        let store = try RoleStore(directory: path)
        try store.importAll(mappings, replace: true)
    }

    final class Switches: Sendable {
        let seen = Locked<[RoleStoreSwitch]>([])
        var handler: @Sendable (RoleStoreSwitch) -> Void { { s in self.seen.withLock { $0.append(s) } } }
        var kinds: [RoleStoreSwitch.Kind] { seen.withLock { $0.map(\.kind) } }
    }

    @Test func replacedDirectoryIsSeenWithinTheBound() throws {
        let tmp = TempDir()
        let dir = tmp.sub("db")
        let switches = Switches()
        let store = try RoleStore(directory: dir, checkInterval: Self.interval, onSwitch: switches.handler)
        try store.put(Sample.mapping(1))
        let before = try #require(store.openIdentity)
        try makeStore(tmp.sub("backup"), [Sample.mapping(2)])

        try FileManager.default.moveItem(atPath: dir, toPath: tmp.sub("db.old"))
        try FileManager.default.copyItem(atPath: tmp.sub("backup"), toPath: dir)
        let started = Date()
        let seen = within { try store.get(Sample.clientId(2)) }
        #expect(seen == Sample.mapping(2), "the new store was not seen within \(Self.bound)s")
        #expect(Date().timeIntervalSince(started) < Self.bound)
        #expect(try store.get(Sample.clientId(1)) == nil)  // the moved-away store is not read
        #expect(try store.list() == [Sample.mapping(2)])
        let after = try #require(store.openIdentity)
        #expect(after != before && !after.sharesAFile(with: before))

        #expect(switches.kinds == [.closed, .opened])
        let logged = switches.seen.withLock { $0 }
        #expect(logged.first?.old == before)
        #expect(logged.last?.old == before && logged.last?.new == after)
        #expect(logged.last?.description.contains("ino") == true)

        // Writes go to the new store, and another process's writes there are seen.
        try store.put(Sample.mapping(3))
        #expect(try RoleStore(directory: tmp.sub("db.old"), readOnly: true).get(Sample.clientId(3)) == nil)
    }

    @Test func deletedDirectoryIsUnavailableAndARecreatedOneAvailableAgain() throws {
        let tmp = TempDir()
        let dir = tmp.sub("db")
        let switches = Switches()
        let store = try RoleStore(directory: dir, checkInterval: Self.interval, onSwitch: switches.handler)
        try store.put(Sample.mapping(1))
        #expect(try store.get(Sample.clientId(1)) == Sample.mapping(1))
        #expect(store.unavailableReason == nil)

        try FileManager.default.removeItem(atPath: dir)
        let refused = within { () -> LMDBError? in
            do {
                _ = try store.get(Sample.clientId(1))
                return nil
            } catch let error as LMDBError {
                return error
            }
        }
        #expect(refused?.code == .storeMissing, "a deleted store was still read after \(Self.bound)s")
        #expect(store.unavailableReason?.contains("missing") == true)
        #expect(store.openIdentity == nil)
        #expect(throws: LMDBError.storeMissing) { try store.count }
        #expect(throws: LMDBError.storeMissing) { try store.list() }
        #expect(throws: LMDBError.storeMissing) { try store.put(Sample.mapping(2)) }
        #expect(!FileManager.default.fileExists(atPath: dir), "a missing store is never created again")
        #expect(switches.kinds == [.closed])

        // A store made elsewhere and moved in (closed first: a process opens LMDB files once).
        try makeStore(tmp.sub("fresh"), [Sample.mapping(3)])
        try FileManager.default.moveItem(atPath: tmp.sub("fresh"), toPath: dir)
        #expect(within { try store.get(Sample.clientId(3)) } == Sample.mapping(3))
        #expect(try store.get(Sample.clientId(1)) == nil)
        #expect(store.unavailableReason == nil)
        #expect(switches.kinds == [.closed, .opened])
        try store.put(Sample.mapping(4))
        #expect(try store.count == 2)
    }

    @Test func onlyLooksWhenDueOrAsked() throws {
        let tmp = TempDir()
        let dir = tmp.sub("db")
        let store = try RoleStore(directory: dir, checkInterval: .seconds(3600))
        try store.put(Sample.mapping(1))
        try makeStore(tmp.sub("backup"), [Sample.mapping(2)])
        try FileManager.default.moveItem(atPath: dir, toPath: tmp.sub("db.old"))
        try FileManager.default.moveItem(atPath: tmp.sub("backup"), toPath: dir)

        // Not due on the call path: the open store is used as it is.
        #expect(try store.get(Sample.clientId(1)) == Sample.mapping(1))
        // Asked (the server's periodic look): no longer used at once, the new one once settled.
        store.checkDirectory()
        #expect(throws: LMDBError.self) { try store.get(Sample.clientId(1)) }
        #expect(store.unavailableReason?.contains("replaced") == true)
        Thread.sleep(forTimeInterval: 0.25)
        store.checkDirectory()
        #expect(try store.get(Sample.clientId(2)) == Sample.mapping(2))
        #expect(try store.get(Sample.clientId(1)) == nil)
    }

    @Test func aTruncatedCopyIsNotOpenedUntilComplete() throws {
        let tmp = TempDir()
        let dir = tmp.sub("db")
        let switches = Switches()
        let store = try RoleStore(directory: dir, checkInterval: .seconds(3600), onSwitch: switches.handler)
        try store.put(Sample.mapping(1))
        try makeStore(tmp.sub("backup"), (1..<400).map { Sample.mapping($0, permission: .full) })
        let full = try Data(contentsOf: URL(fileURLWithPath: tmp.sub("backup/data.mdb")))
        #expect(full.count > 8 * 4096)  // both meta pages are in the first half

        // A copy cut short: its meta page names pages the file does not have.
        try FileManager.default.createDirectory(atPath: tmp.sub("partial"), withIntermediateDirectories: false)
        try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: tmp.sub("partial/data.mdb")))
        try FileManager.default.moveItem(atPath: dir, toPath: tmp.sub("db.old"))
        try FileManager.default.moveItem(atPath: tmp.sub("partial"), toPath: dir)
        for _ in 0..<3 {
            store.checkDirectory()
            Thread.sleep(forTimeInterval: 0.22)
        }
        #expect(throws: LMDBError.self) { try store.get(Sample.clientId(1)) }
        #expect(store.unavailableReason?.contains("cannot be opened") == true)
        #expect(switches.kinds == [.closed, .openFailed], "a failure is reported once")

        // The whole file put in place: opened.
        try full.write(to: URL(fileURLWithPath: tmp.sub("whole.mdb")))
        try FileManager.default.removeItem(atPath: dir + "/data.mdb")
        try FileManager.default.moveItem(atPath: tmp.sub("whole.mdb"), toPath: dir + "/data.mdb")
        store.checkDirectory()
        Thread.sleep(forTimeInterval: 0.22)
        store.checkDirectory()
        #expect(try store.get(Sample.clientId(7)) == Sample.mapping(7, permission: .full))
        #expect(try store.count == 399)
        #expect(switches.kinds.last == .opened)
    }

    @Test func concurrentReadersDuringSwapsNeverCrashOrSeeAMix() throws {
        let tmp = TempDir()
        let dir = tmp.sub("db")
        // Two stores told apart by every record: A has 30 write records, B 45 full ones.
        try makeStore(tmp.sub("a"), (1...30).map { Sample.mapping($0, permission: .write) })
        try makeStore(tmp.sub("b"), (1...45).map { Sample.mapping($0, permission: .full) })
        try FileManager.default.moveItem(atPath: tmp.sub("a"), toPath: dir)
        let store = try RoleStore(directory: dir, checkInterval: Self.interval)

        let stop = Atomic<Bool>(false)
        let problems = Locked<[String]>([])
        let reads = Atomic<Int>(0)
        let done = DispatchGroup()
        for reader in 0..<4 {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                var n = 0
                while !stop.load(ordering: .relaxed) {
                    n += 1
                    do {
                        if n % 7 == 0 {
                            let all = try store.list()
                            let kinds = Set(all.map(\.permission))
                            let consistent =
                                (kinds == [.write] && all.count == 30)
                                || (kinds == [.full] && all.count == 45)
                            if !consistent {
                                problems.withLock { $0.append("list mixed: \(all.count) records, \(kinds)") }
                            }
                        } else {
                            let id = 1 + (n + reader) % 45
                            let got = try store.get(Sample.clientId(id))
                            if let got, got != Sample.mapping(id, permission: got.permission) {
                                problems.withLock { $0.append("record \(id) is neither store's: \(got)") }
                            }
                        }
                        reads.add(1, ordering: .relaxed)
                    } catch let error as LMDBError where error.code == .storeMissing || error.code == .closed {
                        // between two stores: refused, as it should be
                    } catch {
                        problems.withLock { $0.append("unexpected error: \(error)") }
                    }
                }
            }
            thread.start()
        }

        // Swap A and B under the readers, each time back to files the store had open before.
        var here = "a"
        for _ in 0..<6 {
            let away = here == "a" ? "b" : "a"
            try FileManager.default.moveItem(atPath: dir, toPath: tmp.sub(here))
            try FileManager.default.moveItem(atPath: tmp.sub(away), toPath: dir)
            here = away
            let expected = here == "a" ? 30 : 45
            #expect(within { try store.count == expected ? true : nil } == true, "swap to \(here) not seen")
        }
        stop.store(true, ordering: .relaxed)
        done.wait()
        #expect(problems.withLock { $0 }.isEmpty, "\(problems.withLock { $0.prefix(5) })")
        #expect(reads.load(ordering: .relaxed) > 0)
    }

    @Test func anEnvironmentClosesOnlyWhenTheLastTransactionInItEnds() throws {
        let tmp = TempDir()
        let env = try LMDBEnvironment(path: tmp.sub("env"))
        let db = try #require(try env.openDatabase(named: "t", create: true))
        try env.write { txn in try txn.put(Array("k".utf8), Array("v".utf8), in: db) }
        let (openInside, value, refused) = try env.read { txn -> (Bool, [UInt8]?, Bool) in
            env.close()  // as another thread would: a reader is still inside
            let openInside = !env.isClosed
            let value = try txn.get(Array("k".utf8), in: db)
            let refused = (try? env.read { _ in 0 }) == nil  // no new transaction starts
            return (openInside && !env.isClosed, value, refused)
        }
        #expect(openInside)
        #expect(value == Array("v".utf8))
        #expect(refused)
        #expect(env.isClosed)  // the reader's end closed it
        #expect(env.lastTransactionId == nil)
        do {
            _ = try env.lookup(Array("k".utf8), in: db, unlessDigestIs: nil)
            Issue.record("a closed environment was read")
        } catch {
            #expect(error.code == .closed)
        }
        env.close()  // idempotent
    }
}
