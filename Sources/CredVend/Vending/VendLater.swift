import CredVendSync
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
            // Named from inside once `start` has returned: on Linux a name set before `start`
            // never reaches the thread, and Foundation drops one set before `start` has stored
            // the thread's handle (a thread that runs at once, on a busy machine, kept its
            // creator's "…root.default-qos").
            let started = DispatchSemaphore(value: 0)
            let thread = Thread {
                started.wait()
                Thread.current.name = name
                switch work() {
                case .now(let outcome): deliver(outcome)
                case .later(let more): more.start(deliver)
                }
            }
            thread.start()
            started.signal()
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
