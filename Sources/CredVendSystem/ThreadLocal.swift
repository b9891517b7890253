// Per-thread storage (pthread keys) for state the request path reuses without
// a lock: LMDB read transactions, and memos of shared snapshots.
import Glibc

/// One object per thread. A thread's object is released when the thread exits.
///
/// Make these once per long-lived owner: deallocating a `ThreadLocal` deletes
/// its key, after which objects still set on other living threads are never
/// released (they leak rather than run on a dead key).
///
/// @unchecked Sendable: the key is written once in `init`; pthread keys may be
/// used from any thread, and each thread only sees its own value.
public final class ThreadLocal<Value: AnyObject>: @unchecked Sendable {
    private var key = pthread_key_t()

    public init() {
        // The destructor runs on the exiting thread with that thread's value.
        let rc = pthread_key_create(&key) { raw in
            if let raw { Unmanaged<AnyObject>.fromOpaque(raw).release() }
        }
        precondition(rc == 0, "pthread_key_create failed (\(rc)): too many thread-local keys")
    }

    deinit { pthread_key_delete(key) }

    /// This thread's object, made by `make` the first time this thread asks.
    public func value(orMake make: () -> Value) -> Value {
        if let mine = value { return mine }
        let mine = make()
        value = mine
        return mine
    }

    /// This thread's object, or nil.
    public var value: Value? {
        get {
            guard let raw = pthread_getspecific(key) else { return nil }
            return Unmanaged<Value>.fromOpaque(raw).takeUnretainedValue()
        }
        set {
            let old = pthread_getspecific(key)
            let new = newValue.map { Unmanaged.passRetained($0).toOpaque() }
            _ = pthread_setspecific(key, new)
            if let old { Unmanaged<AnyObject>.fromOpaque(old).release() }
        }
    }
}
