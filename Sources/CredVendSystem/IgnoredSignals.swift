import Glibc

/// SIGPIPE, ignored for the whole process: a peer that hangs up mid-response makes
/// write(2) fail with EPIPE instead of killing the process.
public enum BrokenPipe {
    public static func ignore() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = SIG_IGN
        // Both fail only for an invalid signal number or pointer.
        guard sigemptyset(&action.sa_mask) == 0, sigaction(SIGPIPE, &action, nil) == 0 else {
            fatalError("cannot ignore SIGPIPE: \(Errno(code: errno))")
        }
    }
}
