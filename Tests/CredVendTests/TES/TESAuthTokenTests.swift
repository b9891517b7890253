import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

@Suite struct TESAuthTokenTests {
    @Test func generatesAPrivateTokenFileWhenMissing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("authz-token")
        let (token, origin) = try TESAuthToken.loadOrCreate(path: path)
        #expect(origin == .created)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.count == 64 && Hex.decode(text) != nil)  // no newline: botocore sends the file as it is
        #expect(token.accepts(text))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // The second start reads the same token back.
        let (again, originAgain) = try TESAuthToken.loadOrCreate(path: path)
        #expect(originAgain == .loaded && again.accepts(text))
        let (other, _) = try TESAuthToken.loadOrCreate(path: dir.file("other-token"))
        #expect(!other.accepts(text))
    }

    @Test func readsAnExistingTokenIgnoringSurroundingWhitespace() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("token")
        try Data("  my-device-token\n".utf8).write(to: URL(fileURLWithPath: path))
        let (token, origin) = try TESAuthToken.loadOrCreate(path: path)
        #expect(origin == .loadedTrimmed)
        #expect(token.accepts("my-device-token"))
        #expect(!token.accepts("my-device-token\n") && !token.accepts(" my-device-token") && !token.accepts(""))
    }

    @Test func refusesUnusableFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Data("\n".utf8).write(to: URL(fileURLWithPath: dir.file("empty")))
        try Data("two\nlines".utf8).write(to: URL(fileURLWithPath: dir.file("two")))
        let cases = [
            (dir.file("empty"), "is empty"), (dir.file("two"), "one line"), (dir.path, "is a directory"),
            (dir.file("missing-dir/token"), "cannot write"),
        ]
        for (path, words) in cases {
            let error = #expect(throws: ConfigurationError.self) { try TESAuthToken.loadOrCreate(path: path) }
            #expect(error?.message.contains("--authz-token-file") == true)
            #expect(error?.message.contains(words) == true, "\(error?.message ?? "")")
        }
    }
}
