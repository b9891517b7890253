import Glibc

/// A value behind a pthread mutex, used by every target instead of the standard library's `Mutex`,
/// whose Linux futex path ThreadSanitizer cannot see, so every access it guards would
/// be reported as a race and the sanitizer runs of `make test` could catch nothing.
/// Uncontended, both cost one atomic exchange.
///
/// @unchecked Sendable: `value` is only touched between lock and unlock of `mutex`.
public final class Locked<Value>: @unchecked Sendable {
    @usableFromInline var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        let rc = pthread_mutex_init(mutex, nil)
        precondition(rc == 0, "pthread_mutex_init failed (\(rc))")
    }

    deinit {
        let rc = pthread_mutex_destroy(mutex)
        assert(rc == 0, "pthread_mutex_destroy failed (\(rc)): the lock is still held")
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock; `body` must not call back into this lock.
    @inlinable
    public func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        lock()
        defer { unlock() }
        return try body(&value)
    }

    /// `body`'s result, or nil at once when another thread holds the lock.
    @inlinable
    public func withLockIfAvailable<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        guard tryLock() else { return nil }
        defer { unlock() }
        return try body(&value)
    }

    @usableFromInline
    func tryLock() -> Bool {
        let rc = pthread_mutex_trylock(mutex)
        precondition(rc == 0 || rc == EBUSY, "pthread_mutex_trylock failed (\(rc))")
        return rc == 0
    }

    @usableFromInline
    func lock() {
        let rc = pthread_mutex_lock(mutex)
        precondition(rc == 0, "pthread_mutex_lock failed (\(rc))")
    }

    @usableFromInline
    func unlock() {
        let rc = pthread_mutex_unlock(mutex)
        precondition(rc == 0, "pthread_mutex_unlock failed (\(rc))")
    }
}
