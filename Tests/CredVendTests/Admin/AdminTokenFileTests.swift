import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

@Suite struct AdminTokenFileTests {
    static let hashA = String(repeating: "a", count: 64)
    static let hashB = String(repeating: "0123456789ABCDEF", count: 4)

    @Test func parsesRolesCommentsAndBlankLines() throws {
        let text = """
            # operators
            admin \(Self.hashA)

            \treader\t\(Self.hashB)   # grafana\r
              # indented comment
            """
        let entries = try AdminTokenFile.parse(text)
        #expect(entries.count == 2)
        #expect(entries[0] == AdminTokenEntry(role: .admin, sha256: [UInt8](repeating: 0xaa, count: 32), line: 2))
        #expect(entries[1].role == .reader)
        #expect(entries[1].line == 4)
        #expect(Hex.encode(entries[1].sha256) == Self.hashB.lowercased())
        #expect(try AdminTokenFile.parse("").isEmpty)
        #expect(try AdminTokenFile.parse("# nothing\n\n").isEmpty)
    }

    @Test(arguments: [
        ("admin", 1),
        ("admin \(String(repeating: "a", count: 63))", 1),
        ("admin \(String(repeating: "g", count: 64))", 1),
        ("root \(String(repeating: "a", count: 64))", 1),
        ("Admin \(String(repeating: "a", count: 64))", 1),
        ("# ok\nreader \(String(repeating: "a", count: 64)) extra", 2),
        ("\n\n\nadmin:\(String(repeating: "a", count: 64))", 4),
    ])
    func malformedLinesAreRefusedWithTheirNumber(text: String, line: Int) {
        #expect { try AdminTokenFile.parse(text) } throws: { error in
            (error as? AdminTokenFileError)?.line == line
        }
    }

    @Test func aPastedRawTokenIsNeverEchoed() {
        let raw = "s3cr3t-token-value-that-must-not-appear-in-logs"
        do {
            _ = try AdminTokenFile.parse("admin \(raw)\n")
            Issue.record("accepted a raw token")
        } catch {
            #expect(!error.description.contains(raw))
            #expect(error.description.contains("line 1"))
            #expect(error.description.contains("never the token itself"))
        }
    }

    @Test func aHashListedTwiceIsRefused() {
        #expect { try AdminTokenFile.parse("admin \(Self.hashA)\nreader \(Self.hashA.uppercased())\n") } throws: {
            error in
            let e = error as? AdminTokenFileError
            return e?.line == 2 && e?.message.contains("line 1") == true
        }
    }

    @Test func loadRefusesAFileOthersMayRead() throws {
        let tmp = TempDir()
        let path = tmp.sub("tokens")
        try "admin \(Self.hashA)\n".write(toFile: path, atomically: false, encoding: .utf8)
        for mode in [0o644, 0o640, 0o604, 0o620] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            #expect { try AdminTokenFile.load(path: path) } throws: { error in
                "\(error)".contains("group or others") && "\(error)".contains(path)
            }
        }
        for mode in [0o600, 0o400] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            #expect(try AdminTokenFile.load(path: path).count == 1)
        }
    }

    @Test func loadNamesFileAndLine() throws {
        let tmp = TempDir()
        let path = tmp.sub("tokens")
        try "admin \(Self.hashA)\nreader nope\n".write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect { try AdminTokenFile.load(path: path) } throws: { error in
            "\(error)".hasPrefix("admin token file \(path), line 2: ")
        }
        #expect(throws: AdminTokenFileError.self) { try AdminTokenFile.load(path: tmp.sub("missing")) }
        #expect(throws: AdminTokenFileError.self) { try AdminTokenFile.load(path: tmp.path) }
    }
}
