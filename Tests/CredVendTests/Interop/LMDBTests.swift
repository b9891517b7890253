import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendStore
@testable import CredVendSync

@Suite struct LMDBTests {
    private struct Boom: Error {}

    private func open(_ tmp: TempDir) throws -> (LMDBEnvironment, LMDBDatabase) {
        let env = try LMDBEnvironment(path: tmp.sub("env"))
        return (env, try #require(try env.openDatabase(named: "t", create: true)))
    }

    @Test func writeCommitsAndReadSeesIt() throws {
        let tmp = TempDir()
        let (env, db) = try open(tmp)
        try env.write { txn in
            try txn.put(Array("b".utf8), [2], in: db)
            try txn.put(Array("a".utf8), [1], in: db)
            try txn.put(Array("c".utf8), [], in: db)
            #expect(try txn.get(Array("a".utf8), in: db) == [1])  // own uncommitted write
        }
        var seen: [String] = []
        try env.read { txn in
            #expect(try txn.get(Array("b".utf8), in: db) == [2])
            #expect(try txn.get(Array("c".utf8), in: db) == [])
            #expect(try txn.get(Array("zz".utf8), in: db) == nil)
            #expect(try txn.count(in: db) == 3)
            try txn.forEach(in: db) { key, _ in seen.append(String(decoding: key, as: UTF8.self)) }
        }
        #expect(seen == ["a", "b", "c"])
    }

    @Test func writeAbortsWhenTheBodyThrows() throws {
        let tmp = TempDir()
        let (env, db) = try open(tmp)
        try env.write { txn in try txn.put(Array("keep".utf8), [1], in: db) }
        #expect(throws: Boom.self) {
            try env.write { txn in
                try txn.put(Array("gone".utf8), [1], in: db)
                #expect(try txn.delete(Array("keep".utf8), in: db))
                throw Boom()
            }
        }
        try env.read { txn throws in
            #expect(try txn.get(Array("keep".utf8), in: db) == [1])
            #expect(try txn.get(Array("gone".utf8), in: db) == nil)
        }
    }

    @Test func pooledReadTransactionsSeeLaterCommits() throws {
        let tmp = TempDir()
        let (env, db) = try open(tmp)
        for n in 0..<50 {  // every read after the first renews a pooled transaction
            try env.write { txn in try txn.put(Array("k".utf8), [UInt8(n)], in: db) }
            #expect(try env.read { txn in try txn.get(Array("k".utf8), in: db) } == [UInt8(n)])
        }
    }

    @Test func concurrentReadersWhileWriting() throws {
        let tmp = TempDir()
        let (env, db) = try open(tmp)
        try env.write { txn in try txn.put(Array("k".utf8), [0], in: db) }
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 9) { worker in
            for n in 0..<300 {
                do {
                    if worker == 0 {
                        try env.write { txn in try txn.put(Array("k".utf8), [UInt8(n % 256)], in: db) }
                    } else {
                        let value = try env.read { txn in try txn.get(Array("k".utf8), in: db) }
                        if value?.count != 1 { failures.withLock { $0 += 1 } }
                    }
                } catch {
                    failures.withLock { $0 += 1 }
                }
            }
        }
        #expect(failures.withLock { $0 } == 0)
    }

    @Test func missingDatabaseIsNilWithoutCreate() throws {
        let tmp = TempDir()
        let env = try LMDBEnvironment(path: tmp.sub("env"))
        #expect(try env.openDatabase(named: "nope", create: false) == nil)
        #expect(try env.openDatabase(named: "nope", create: true) != nil)
        #expect(try env.openDatabase(named: "nope", create: false) != nil)
    }

    @Test func tooManyDatabases() throws {
        let tmp = TempDir()
        let env = try LMDBEnvironment(path: tmp.sub("env"), options: .init(maxDatabases: 2))
        _ = try env.openDatabase(named: "one", create: true)
        _ = try env.openDatabase(named: "two", create: true)
        #expect(throws: LMDBError(code: .tooManyDatabases, status: 0, operation: "", detail: "")) {
            try env.openDatabase(named: "three", create: true)
        }
    }

    @Test func emptyKeyIsAnErrorNotACrash() throws {
        let tmp = TempDir()
        let (env, db) = try open(tmp)
        #expect(throws: LMDBError.self) { try env.write { txn in try txn.put([], [1], in: db) } }
        #expect(throws: LMDBError.self) {
            try env.write { txn in try txn.put([UInt8](repeating: 1, count: 600), [1], in: db) }
        }
    }

    @Test func openingAFileThatIsNotLMDBIsCorrupted() throws {
        let tmp = TempDir()
        try FileManager.default.createDirectory(atPath: tmp.sub("env"), withIntermediateDirectories: false)
        _ = FileManager.default.createFile(
            atPath: tmp.sub("env/data.mdb"),
            contents: Data(repeating: 0x41, count: 8192)
        )
        #expect(throws: LMDBError(code: .corrupted, status: 0, operation: "", detail: "")) {
            try LMDBEnvironment(path: tmp.sub("env"))
        }
    }

    // Each LMDB return code (numeric values from lmdb.h 0.9) and errno lands in its category.
    @Test(
        "return code classification",
        arguments: [
            (Int32(-30792), LMDBError.Code.mapFull), (-30796, .corrupted), (-30797, .corrupted), (-30793, .corrupted),
            (-30795, .corrupted), (-30794, .incompatible), (-30784, .incompatible), (-30785, .mapResized),
            (-30791, .tooManyDatabases), (-30790, .readersFull), (-30781, .invalidValue), (EROFS, .readOnly),
            (EACCES, .permissionDenied), (EPERM, .permissionDenied), (ENOENT, .storeMissing), (ENOTDIR, .notADirectory),
            (EAGAIN, .busy), (EBUSY, .busy), (ENOSPC, .diskFull), (-30782, .other),
        ]
    )
    func classification(_ status: Int32, _ code: LMDBError.Code) {
        let error = LMDBError(status: status, operation: "op")
        #expect(error.code == code)
        #expect(error.status == status)
        #expect(!error.detail.isEmpty)
        #expect(error.description.hasPrefix("op: "))
    }

    @Test func mapFullMessage() {
        let error = LMDBError(status: -30792, operation: "put into 'roles' in /x")
        #expect(
            error.description
                == "put into 'roles' in /x: role store is full; raise --map-size (MDB_MAP_FULL: Environment mapsize limit reached)"
        )
    }
}
