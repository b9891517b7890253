import Glibc

/// The calling thread's scheduling priority. Under Linux's NPTL the nice value belongs to
/// a thread, not the process (setpriority(2)), so background work such as the roles-table
/// sync can leave the cores to the request threads.
public enum ThreadPriority {
    /// Background work's nice value: under contention such a thread gets about a tenth of
    /// what a nice-0 thread gets, and all the CPU that is idle.
    public static let background: Int32 = 10

    /// Sets the calling thread's nice value to `nice` (raising it needs no privilege;
    /// lowering it again does). Returns false when the kernel refused; the thread then
    /// runs at the priority it had.
    @discardableResult
    public static func setCurrent(nice: Int32) -> Bool {
        // who 0 with PRIO_PROCESS is the calling thread on Linux.
        setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice) == 0
    }
}
