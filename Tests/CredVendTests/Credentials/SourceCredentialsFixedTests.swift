import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// Fixed source credentials: what tests and embedders hand over, never the environment's.
@Suite struct SourceCredentialsFixedTests {
    @Test func fixedCredentialsAreWhatIsServed() {
        let given = AWSCredentials(accessKeyId: "AKIAFIXED", secretAccessKey: "fixed-secret")
        let provider = SourceCredentialsProvider(fixed: given, logger: LogCapture().logger())
        #expect(provider.current() == nil, "nothing is loaded before the first refresh")
        #expect(provider.refreshIfNeeded() == given)
        #expect(provider.current() == given)
        #expect(provider.origin == .fixed)
        // Re-read after the reread interval: still the same, still from nowhere else.
        #expect(provider.refreshIfNeeded(now: Date().addingTimeInterval(3600)) == given)
    }

    @Test func noFixedCredentialsMeansNone() {
        let logs = LogCapture()
        let provider = SourceCredentialsProvider(fixed: nil, logger: logs.logger())
        #expect(provider.refreshIfNeeded() == nil)
        #expect(provider.origin == nil)
        #expect(logs.lines.contains { $0.contains("source credentials unavailable") })
    }
}
