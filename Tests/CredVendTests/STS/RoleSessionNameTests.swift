import Testing

@testable import CredVendCore

@Suite struct RoleSessionNameTests {
    @Test(arguments: [
        ("server-01", "abc", "credvend-server-01"),
        (nil, "4tq8h2kbs0rs0l3ff1cmo8h7h2", "credvend-4tq8h2kbs0rs0l3ff1cmo8h7h2"),
        ("", "client", "credvend-client"),
        ("web server #1/eu", "c", "credvend-web-server--1-eu"),
        ("a_b+c=d,e.f@g-h", "c", "credvend-a_b+c=d,e.f@g-h"),
        ("müller", "c", "credvend-m-ller"),
        ("e\u{301}", "c", "credvend-e-"),
        ("line\r\nbreak", "c", "credvend-line--break"),
        ("🙂", "c", "credvend--"),
    ])
    func make(serverName: String?, clientId: String, expected: String) {
        #expect(RoleSessionName.make(serverName: serverName, clientId: clientId) == expected)
    }

    @Test func cutTo64() {
        let name = RoleSessionName.make(serverName: String(repeating: "x", count: 100), clientId: "c")
        #expect(name.count == 64)
        #expect(name == "credvend-" + String(repeating: "x", count: 55))
        let wide = RoleSessionName.make(serverName: String(repeating: "ü", count: 100), clientId: "c")
        #expect(wide.utf8.count == 64)
    }

    @Test(arguments: ["", "x", String(repeating: "ab#", count: 40), "\u{0}\u{7F}", "ok"])
    func alwaysValidForSTS(serverName: String) {
        let name = RoleSessionName.make(serverName: serverName, clientId: "client-id")
        #expect((2...64).contains(name.count))
        #expect(name.unicodeScalars.allSatisfy(RoleSessionName.isAllowed))
        #expect(name.hasPrefix("credvend-"))
    }
}
