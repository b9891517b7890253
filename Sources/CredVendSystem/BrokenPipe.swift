import Glibc

/// SIGPIPE, ignored for the whole process: a peer that hangs up mid-response makes
/// write(2) fail with EPIPE instead of killing the process.
public enum BrokenPipe {
    public static func ignore() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = SIG_IGN
        let rc = sigemptyset(&action.sa_mask) == 0 ? sigaction(SIGPIPE, &action, nil) : -1
        precondition(rc == 0, "cannot ignore SIGPIPE: \(Errno(code: errno))")
    }
}
