import Glibc

/// Signals whose default action would kill the process for what is only a failed write:
/// ignored for the whole process, so the write(2) fails and the caller handles it.
/// SIGPIPE: a peer that hangs up mid-response makes the write fail with EPIPE.
/// SIGXFSZ: a write past the file size limit (`ulimit -f`) is cut short or fails with
/// EFBIG, as on a full disk, and the audit log rolls its part line back.
public enum IgnoredSignals {
    public static func ignore() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = SIG_IGN
        // Each fails only for an invalid signal number or pointer.
        guard sigemptyset(&action.sa_mask) == 0 else { fatalError("sigemptyset: \(Errno(code: errno))") }
        for signal in [SIGPIPE, SIGXFSZ] where sigaction(signal, &action, nil) != 0 {
            fatalError("cannot ignore signal \(signal): \(Errno(code: errno))")
        }
    }
}
