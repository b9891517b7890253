import Testing

@testable import CredVend
@testable import CredVendCore

@Suite struct ServeConfigurationTests {
    @Test func defaultsDeriveFromIssuerAndRegion() {
        var c = ServeConfiguration(issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/")
        c.region = "eu-west-1"
        #expect(c.effectiveJWKSURL == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json")
        #expect(c.effectiveSTSEndpoint == "https://sts.eu-west-1.amazonaws.com")
        #expect(throws: Never.self) { try c.validate() }
    }

    @Test func plainHTTPOnlyForLoopbackUnlessAllowed() {
        #expect(throws: Never.self) { try ServeConfiguration(issuer: "http://127.0.0.1:9000").validate() }
        #expect(throws: Never.self) { try ServeConfiguration(issuer: "http://localhost:9000").validate() }
        #expect(throws: ConfigurationError.self) { try ServeConfiguration(issuer: "http://idp.example.com").validate() }
        var c = ServeConfiguration(issuer: "http://idp.example.com")
        c.allowInsecureHTTP = true
        #expect(throws: Never.self) { try c.validate() }
        var s = ServeConfiguration(issuer: "https://idp.example.com")
        s.stsEndpoint = "http://10.1.2.3:5000"
        #expect(throws: ConfigurationError.self) { try s.validate() }
    }

    @Test(arguments: [
        (STSCallPool.Settings(concurrency: 0), "--sts-concurrency"),
        (STSCallPool.Settings(concurrency: 5000), "--sts-concurrency"),
        (STSCallPool.Settings(queueLimit: -1), "--sts-queue"),
        (STSCallPool.Settings(queueWait: .zero), "--sts-queue-wait"),
        (STSCallPool.Settings(queueWait: .seconds(61)), "--sts-queue-wait"),
    ])
    func stsPoolSizesOutsideTheirBoundsNameTheFlag(settings: STSCallPool.Settings, flag: String) {
        var c = ServeConfiguration(issuer: "https://idp.example.com")
        #expect(c.stsPool == STSCallPool.Settings(concurrency: 32, queueLimit: 1000, queueWait: .seconds(2)))
        c.stsPool = settings
        do {
            try c.validate()
            Issue.record("accepted \(settings)")
        } catch { #expect(error.message.hasPrefix(flag + " ")) }
    }

    @Test func badValuesNameTheFlag() {
        #expect(throws: ConfigurationError.self) { try ServeConfiguration(issuer: "").validate() }
        var c = ServeConfiguration(issuer: "https://idp.example.com")
        c.region = "mars"
        do {
            try c.validate()
            Issue.record("accepted region mars")
        } catch { #expect(error.message.contains("--region")) }
        c = ServeConfiguration(issuer: "ftp://idp")
        do {
            try c.validate()
            Issue.record("accepted ftp")
        } catch { #expect(error.message.contains("--issuer")) }
    }
}
