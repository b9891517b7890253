import CredVendSync
import CredVendSystem
import Dispatch
import Foundation

/// A vending answer that needs I/O first (an STS call in `STSCallPool`, a JWKS refresh):
/// `start` hands the outcome to `deliver` on whichever thread finishes the work, so no
/// thread waits for it.
public struct VendLater: Sendable {
    private let body: @Sendable (@escaping @Sendable (VendOutcome) -> Void) -> Void

    public init(_ body: @escaping @Sendable (@escaping @Sendable (VendOutcome) -> Void) -> Void) {
        self.body = body
    }

    /// Starts the work; `deliver` is called once, with the outcome.
    public func start(_ deliver: @escaping @Sendable (VendOutcome) -> Void) { body(deliver) }

    /// The same work with `transform` applied to its outcome.
    func map(_ transform: @escaping @Sendable (VendOutcome) -> VendOutcome) -> VendLater {
        VendLater { deliver in start { deliver(transform($0)) } }
    }

    /// Blocking work on a thread of its own (a JWKS refresh: at most one per 30 s).
    static func onOwnThread(_ name: String, _ work: @escaping @Sendable () -> VendResult) -> VendLater {
        VendLater { deliver in
            startThread(named: name) {
                switch work() {
                case .now(let outcome): deliver(outcome)
                case .later(let more): more.start(deliver)
                }
            }
        }
    }

    /// Starts the work and waits on this thread for its outcome (tests, the fuzzer).
    public func callAsFunction() -> VendOutcome {
        let box = Locked<VendOutcome?>(nil)
        let done = DispatchSemaphore(value: 0)
        start { outcome in
            box.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return box.withLock { $0! }
    }
}
