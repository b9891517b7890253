import Testing

@testable import CredVend
@testable import CredVendCore

/// `serve --roles-table` flags: refused values name the flag.
@Suite struct RoleTableConfigurationTests {
    func problem(_ edit: (inout RoleTableConfiguration) -> Void, insecure: Bool = false) -> String? {
        var c = RoleTableConfiguration(table: "client_roles")
        edit(&c)
        do {
            try c.validate(serveRegion: "eu-west-1", allowInsecureHTTP: insecure)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func theDefaultsAreValidAndFollowTheServeRegion() {
        #expect(problem { _ in } == nil)
        let c = RoleTableConfiguration(table: "client_roles")
        #expect(c.effectiveEndpoint(serveRegion: "eu-west-1") == "https://dynamodb.eu-west-1.amazonaws.com")
        var other = c
        other.region = "us-west-2"
        #expect(other.effectiveEndpoint(serveRegion: "eu-west-1") == "https://dynamodb.us-west-2.amazonaws.com")
        #expect(c.syncInterval == 15 && c.maxStaleness == nil && !c.allowMassDelete)
    }

    @Test func badValuesAreRefusedNamingTheFlag() {
        #expect(problem { $0.table = "ab" }?.contains("--roles-table") == true)
        #expect(problem { $0.table = "has space" }?.contains("--roles-table") == true)
        #expect(problem { $0.region = "Mars" }?.contains("--roles-table-region") == true)
        #expect(problem { $0.endpoint = "http://10.1.2.3:8000" }?.contains("--dynamodb-endpoint") == true)
        #expect(problem({ $0.endpoint = "http://10.1.2.3:8000" }, insecure: true) == nil)
        #expect(problem { $0.endpoint = "http://127.0.0.1:8000" } == nil, "loopback http is fine")
        #expect(problem { $0.syncInterval = 0 }?.contains("--roles-sync-interval") == true)
        #expect(problem { $0.maxStaleness = 10 }?.contains("--roles-max-staleness") == true)
        #expect(problem { $0.defaultBucket = "Bad_Bucket" }?.contains("--roles-default-bucket") == true)
    }
}
