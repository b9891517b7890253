// The driving loop of one libmicrohttpd daemon started with MHD_USE_EPOLL and no internal
// thread: MHD's epoll set is watched in an `EventPoll` of ours, beside the sockets of the
// worker's HTTP client transfers (`WorkerTransfers`), and MHD_run is called when it is
// ready, when its timeout is due, or when a transfer's answer may have resumed a connection.
internal import CMicroHTTPD
import CredVendCore
import CredVendSystem
import Dispatch
import Glibc
import Synchronization

/// One worker thread and the daemon it drives.
/// @unchecked Sendable: `daemon` is only run on the worker thread, and handed to
/// MHD_quiesce_daemon and MHD_stop_daemon (which MHD allows from another thread, the latter
/// once the loop has ended); the loop's state is the worker thread's.
final class MHDWorker: @unchecked Sendable {
    let daemon: OpaquePointer
    private let poll: EventPoll
    private let transfers: CurlLoopCore?
    private let daemonFD: Int32
    private let stopping = Atomic(false)
    private let finished = DispatchSemaphore(value: 0)
    private let running = Atomic(false)
    /// A connection of this daemon was resumed: MHD strips its own inter-thread channel
    /// from a daemon without an internal thread, so the loop is told here.
    private let resumePending = Atomic(false)

    /// The worker whose loop runs on the current thread.
    static let current = ThreadLocal<MHDWorker>()

    init(daemon: OpaquePointer, transfers: CurlLoopCore?) throws(HTTPServerError) {
        self.daemon = daemon
        self.transfers = transfers
        daemonFD = CMicroHTTPD_epoll_fd(daemon)
        do throws(Errno) {
            if let shared = transfers?.poll { poll = shared } else { poll = try EventPoll() }
            guard daemonFD >= 0 else { throw Errno(code: EBADF) }
            try poll.watch(daemonFD, for: .readable)
        } catch {
            throw HTTPServerError(.daemonStartFailed, "libmicrohttpd's epoll set cannot be watched: \(error)")
        }
    }

    func start(named name: String) {
        running.store(true, ordering: .relaxed)
        startThread(named: name) { [self] in run() }
    }

    /// Ends the loop and waits for it; the daemon is then the caller's to stop.
    func stopLoop() {
        guard running.load(ordering: .relaxed) else { return }
        stopping.store(true, ordering: .releasing)
        poll.wake()
        finished.wait()
    }

    /// After MHD_resume_connection of one of this daemon's connections, from any thread.
    func resumed() {
        resumePending.store(true, ordering: .releasing)
        if Self.current.value !== self { poll.wake() }
    }

    private func run() {
        Self.current.value = self
        var curl = transfers.flatMap { $0.attach() ? $0 : nil }
        WorkerTransfers.onWorker.value = curl
        var runDaemon = true
        while !stopping.load(ordering: .acquiring) {
            if runDaemon {
                // MHD_NO: epoll_wait on MHD's own set failed (it logs nothing here); the next
                // readiness or timeout runs it again.
                _ = MHD_run(daemon)
            }
            if let c = curl, !c.startSubmitted() { curl = nil }  // stopped: every transfer ended
            var milliseconds = CurlLoopCore.idleMilliseconds
            if let c = curl { milliseconds = c.prepareToWait() ? c.waitMilliseconds() : 0 }
            var timeout: CUnsignedLongLong = 0
            let daemonTimed = MHD_get_timeout(daemon, &timeout) == .YES
            if daemonTimed { milliseconds = min(milliseconds, Int32(clamping: timeout)) }
            // A connection resumed on this thread (an answer given inside MHD_run) waits for no
            // event: MHD runs again at once.
            if resumePending.load(ordering: .acquiring) { milliseconds = 0 }
            let daemonDue = MonotonicClock.nanos() &+ UInt64(min(timeout, 86_400_000)) * 1_000_000
            var daemonReady = false
            poll.wait(milliseconds: milliseconds) { fd, readiness in
                if fd == daemonFD { daemonReady = true } else { curl?.socketReady(fd, readiness) }
            }
            let answered = curl?.afterWait() ?? 0
            runDaemon =
                daemonReady || answered > 0 || resumePending.exchange(false, ordering: .acquiring)
                || (daemonTimed && MonotonicClock.nanos() >= daemonDue)
        }
        if let curl {
            curl.stop()  // on the loop thread: marks it stopped without waiting for itself
            _ = curl.startSubmitted()  // sees the stop and ends every transfer
        }
        WorkerTransfers.onWorker.value = nil
        Self.current.value = nil
        finished.signal()
    }
}
