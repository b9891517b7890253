internal import CEventPoll
import Glibc

/// An epoll set with an eventfd in it, for a loop that sleeps until one of its sockets is
/// ready or another thread wakes it. One thread waits; `wake` may be called from any.
///
/// Why epoll and not poll: a loop with dozens of transfers in flight wakes once per answer,
/// and `poll` hands the kernel every socket each time.
/// @unchecked Sendable: the descriptors are fixed at `init`; epoll and eventfd are
/// thread-safe, and only the waiting thread calls `wait`, `watch` and `forget`.
public final class EventPoll: @unchecked Sendable {
    public struct Readiness: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let readable = Readiness(rawValue: EPOLLIN.rawValue)
        public static let writable = Readiness(rawValue: EPOLLOUT.rawValue)
        /// An error or a hang-up: the owner of the socket finds out which by reading it.
        public static let failed = Readiness(rawValue: EPOLLERR.rawValue | EPOLLHUP.rawValue)
    }

    private let epoll: Int32
    private let wakeFD: Int32
    private var events: [epoll_event]
    /// What each socket is watched for, as the kernel has it, so that each change is one
    /// epoll_ctl that succeeds and a change to the same events none (trying one op and
    /// falling back to the other failed about once per STS call).
    private(set) var watched: [Int32: Readiness] = [:]

    public init(capacity: Int = 64) throws(Errno) {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw Errno.current }
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard wakeFD >= 0 else {
            let error = Errno.current
            close(epoll)
            throw error
        }
        events = Array(repeating: epoll_event(), count: max(1, capacity))
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: wakeFD))
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, wakeFD, &event) == 0 else {
            let error = Errno.current
            close(wakeFD)
            close(epoll)
            throw error
        }
    }

    deinit {
        close(wakeFD)
        close(epoll)
    }

    /// Watches `fd` for `readiness`, adding it or changing what it is watched for. A socket
    /// is to be forgotten before it is closed (libcurl's CURL_POLL_REMOVE comes first), or
    /// its number, reused, could be taken for the old socket's with the same events.
    public func watch(_ fd: Int32, for readiness: Readiness) throws(Errno) {
        let known = watched[fd]
        if known == readiness { return }
        var event = epoll_event(events: readiness.rawValue, data: epoll_data_t(fd: fd))
        let op = known == nil ? EPOLL_CTL_ADD : EPOLL_CTL_MOD
        if epoll_ctl(epoll, op, fd, &event) != 0 {
            // The kernel's set and ours differ (a socket closed unforgotten, its number reused).
            let other = known == nil ? EPOLL_CTL_MOD : EPOLL_CTL_ADD
            guard errno == (known == nil ? EEXIST : ENOENT), epoll_ctl(epoll, other, fd, &event) == 0 else {
                let error = Errno.current
                watched[fd] = nil
                throw error
            }
        }
        watched[fd] = readiness
    }

    /// Stops watching `fd`; one never watched is no call at all.
    public func forget(_ fd: Int32) {
        guard watched.removeValue(forKey: fd) != nil else { return }
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)  // ENOENT, EBADF: closed, the kernel forgot it then
    }

    /// Waits at most `milliseconds` (-1: without end) and calls `ready` for each socket that
    /// is; a `wake` ends the wait too. EINTR is an empty wait.
    public func wait(milliseconds: Int32, _ ready: (Int32, Readiness) -> Void) {
        let count = events.withUnsafeMutableBufferPointer { buffer in
            epoll_wait(epoll, buffer.baseAddress, Int32(buffer.count), milliseconds)
        }
        guard count > 0 else { return }
        for i in 0..<Int(count) {
            let fd = events[i].data.fd
            if fd == wakeFD {
                var value: UInt64 = 0
                _ = read(wakeFD, &value, MemoryLayout<UInt64>.size)  // EAGAIN: already drained
            } else {
                ready(fd, Readiness(rawValue: events[i].events))
            }
        }
    }

    /// Makes the current or next `wait` return at once. From any thread.
    public func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, MemoryLayout<UInt64>.size)  // EAGAIN: a wake-up is already pending
    }
}
