#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value that is only read or changed while a POSIX mutex is held.
///
/// A failing `pthread_mutex_*` call means the lock is broken (for example, corrupt memory), and
/// going on would give up mutual exclusion, so each one is a precondition failure.
///
/// Switchyard's modules use it instead of `Synchronization.Mutex` because ThreadSanitizer follows
/// `pthread_mutex_t` but not `Mutex`'s futex on Linux, where it reports every `Mutex`-guarded access as a
/// race. With this lock, `swift test --sanitize=thread` reports only real races.
///
/// Like `Mutex`, `withLock` hands the value over as `inout sending` and takes back a `sending` result, so
/// no non-Sendable state inside can escape the lock.
package final class LockedValue<Value>: @unchecked Sendable {
    // @unchecked Sendable is safe: `value` is private and only touched inside `withLock`, which holds
    // `mutex` for the whole access; `sending` keeps non-Sendable parts from leaving the critical section.
    private var value: Value
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    package init(_ value: sending Value) {
        self.value = value
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init failed with error \(status)")
    }

    deinit {
        let status = pthread_mutex_destroy(mutex)
        assert(status == 0, "pthread_mutex_destroy failed with error \(status): the mutex is still held")
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    package func withLock<Result, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        let locked = pthread_mutex_lock(mutex)
        precondition(locked == 0, "pthread_mutex_lock failed with error \(locked)")
        defer {
            let unlocked = pthread_mutex_unlock(mutex)
            precondition(unlocked == 0, "pthread_mutex_unlock failed with error \(unlocked)")
        }
        return try body(&value)
    }
}
