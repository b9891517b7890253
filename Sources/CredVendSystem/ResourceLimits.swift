import Glibc

/// The process's resource limits.
public enum ResourceLimits {
    /// The soft limit on open descriptors (`ulimit -n`); nil when unlimited or unknown.
    public static func openFiles() -> Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else {
            return nil
        }
        return limit.rlim_cur > rlim_t(Int32.max) ? nil : Int(limit.rlim_cur)
    }
}
