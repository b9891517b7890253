import CredVendSync
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// Work that `VendLater` runs on a thread of its own shows under its own name.
@Suite struct VendLaterTests {
    @Test func ownThreadCarriesItsName() {
        // Foundation reads the calling thread's name, so it is read on the work's thread.
        let seen = Locked<String?>(nil)
        let outcome = VendLater.onOwnThread("test-vend-later") {
            seen.withLock { $0 = Thread.current.name }
            return .now(VendOutcome(.upstream("done")))
        }()
        #expect(outcome.errorCode == APIError.upstream("done").code)
        #expect(seen.withLock { $0 } == "test-vend-later")
    }
}
