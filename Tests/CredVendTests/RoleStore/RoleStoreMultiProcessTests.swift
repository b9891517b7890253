import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendStore

/// A running server keeps its RoleStore open; `credvend roles` in another
/// process edits the same directory. Each get must see the latest commit
/// without reopening (a change is seen on the next request, docs/reference.md#credvend-roles).
@Suite struct RoleStoreMultiProcessTests {
    @Test func readerSeesAnotherProcessesWritesOnItsNextGet() throws {
        let bin = try #require(
            Sample.credvendBinary,
            "build the credvend executable first (swift build), or set CREDVEND_BIN"
        )
        let tmp = TempDir()
        let dir = tmp.sub("db")
        let id = "5h2k9q4w7e1r3t6y8u0i2o4pzz"
        let server = try RoleStore(directory: dir)  // held open for the whole test, like `credvend serve`
        #expect(try server.get(id) == nil)

        func roles(_ args: String...) throws {
            let result = try runProcess(bin, ["roles", "--db", dir] + args)
            #expect(result.status == 0, "credvend roles \(args.joined(separator: " ")): \(result.stderr)")
        }

        try roles("put", id, "--role-arn", Sample.arn, "--server-name", "edge-01")
        #expect(try server.get(id) == RoleMapping(clientId: id, roleArn: Sample.arn, serverName: "edge-01"))

        try roles("put", id, "--role-arn", Sample.arn, "--permission", "full", "--session-duration", "7200")
        let updated = try server.get(id)
        #expect(updated?.permission == .full)
        #expect(updated?.sessionDurationSeconds == 7200)

        try roles("delete", id)
        #expect(try server.get(id) == nil)

        try roles("import", Sample.seedFile.path, "--replace")
        #expect(try server.count == 6)
        #expect(try server.get("1abc2defg3hij4klmno5pqrs6")?.serverName == "server-01")
        #expect(try server.exportAll() == String(decoding: try Data(contentsOf: Sample.seedFile), as: UTF8.self))

        // And the other way round: what this process writes, the child reads.
        try server.put(RoleMapping(clientId: id, roleArn: Sample.arn))
        let got = try runProcess(bin, ["roles", "--db", dir, "get", id])
        #expect(got.status == 0)
        #expect(got.stdout == RoleMappingJSON.encode(RoleMapping(clientId: id, roleArn: Sample.arn)) + "\n")
    }

    @Test func readsKeepWorkingWhileAnotherProcessImports() throws {
        let bin = try #require(
            Sample.credvendBinary,
            "build the credvend executable first (swift build), or set CREDVEND_BIN"
        )
        let tmp = TempDir()
        let dir = tmp.sub("db")
        let server = try RoleStore(directory: dir)
        try server.put(Sample.mapping(1))
        let file = tmp.sub("many.json")
        try RoleMappingJSON.encodeList((1..<2000).map { Sample.mapping($0, permission: .full) })
            .write(toFile: file, atomically: true, encoding: .utf8)

        let child = Process()
        child.executableURL = URL(fileURLWithPath: bin)
        child.arguments = ["roles", "--db", dir, "import", file]
        child.standardError = FileHandle.nullDevice
        try child.run()
        var reads = 0
        var sawOld = false
        var sawNew = false
        while child.isRunning || reads == 0 {
            let m = try #require(try server.get(Sample.clientId(1)))  // never missing: the import is atomic
            if m.permission == .write { sawOld = true } else { sawNew = true }
            reads += 1
        }
        child.waitUntilExit()
        #expect(child.terminationStatus == 0)
        #expect(try server.get(Sample.clientId(1))?.permission == .full)
        #expect(try server.count == 1999)
        #expect(sawOld || sawNew)
    }

    /// The child opens with a much larger map and grows the data file past this
    /// process's map: the next transaction here gets MDB_MAP_RESIZED, adopts the
    /// new size and carries on, for reads and writes alike.
    @Test func adoptsAMapGrownByAnotherProcess() throws {
        let bin = try #require(
            Sample.credvendBinary,
            "build the credvend executable first (swift build), or set CREDVEND_BIN"
        )
        let tmp = TempDir()
        let dir = tmp.sub("db")
        let server = try RoleStore(directory: dir, mapSize: 64 * 1024)
        try server.put(Sample.mapping(1))
        #expect(try server.get(Sample.clientId(1)) == Sample.mapping(1))  // leaves a pooled reader to renew
        let file = tmp.sub("many.json")
        try RoleMappingJSON.encodeList((2..<3000).map { Sample.mapping($0) })
            .write(toFile: file, atomically: true, encoding: .utf8)
        let result = try runProcess(bin, ["roles", "--db", dir, "--map-size", String(64 << 20), "import", file])
        #expect(result.status == 0, "\(result.stderr)")

        #expect(try server.get(Sample.clientId(2999)) == Sample.mapping(2999))
        #expect(try server.count == 2999)
        try server.put(Sample.mapping(3000))
        #expect(try server.get(Sample.clientId(3000)) == Sample.mapping(3000))
    }
}
