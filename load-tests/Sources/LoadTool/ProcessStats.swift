import Foundation
import Glibc
import Synchronization

/// The machine a result came from (the baseline names it).
struct MachineInfo: Codable {
    var cores: Int
    var cpuModel: String
    var kernel: String
    var memoryMiB: Int

    static func current() -> MachineInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) }
            ?? "unknown"
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let memKiB =
            ((try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? "").split(separator: "\n")
            .first { $0.hasPrefix("MemTotal:") }.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        return MachineInfo(
            cores: ProcessInfo.processInfo.activeProcessorCount,
            cpuModel: model,
            kernel: release,
            memoryMiB: memKiB / 1024
        )
    }
}

/// RSS, CPU time and open descriptors of a process, read from /proc.
struct ProcSample {
    var rssKiB: Int
    var peakRssKiB: Int
    var cpuSeconds: Double
    /// Entries of /proc/PID/fd: sockets, files, epoll and event descriptors (a leak shows here first).
    var openFds: Int
    /// Threads: of /proc/PID/status.
    var threads: Int
    /// Context switches (voluntary and not) of the threads alive now, summed over
    /// /proc/PID/task/*/status: a count the rest of the machine's load moves far less than
    /// CPU time (a thread that exited is not counted; serve's threads live as long as it).
    var contextSwitches: Int

    static func read(pid: Int32) -> ProcSample? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        else { return nil }
        func kib(_ field: String) -> Int {
            status.split(separator: "\n").first { $0.hasPrefix(field) }
                .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") } ?? 0
        }
        // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let utime = Double(fields.count > 11 ? fields[11] : "0") ?? 0
        let stime = Double(fields.count > 12 ? fields[12] : "0") ?? 0
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
        return ProcSample(
            rssKiB: kib("VmRSS:"),
            peakRssKiB: kib("VmHWM:"),
            cpuSeconds: (utime + stime) / ticks,
            openFds: fds,
            threads: status.split(separator: "\n").first { $0.hasPrefix("Threads:") }
                .flatMap { Int($0.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) } ?? 0,
            contextSwitches: contextSwitches(pid: pid)
        )
    }

    private static func contextSwitches(pid: Int32) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.reduce(0) { total, task in
            let status = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8)) ?? ""
            return total
                + status.split(separator: "\n").filter { $0.contains("ctxt_switches:") }
                .reduce(0) { $0 + (Int($1.split(separator: "\t").last ?? "") ?? 0) }
        }
    }
}

/// Samples a process's RSS and open descriptors once a second while a phase runs:
/// rows of [seconds since start, RSS KiB, open fds].
final class RSSSampler: @unchecked Sendable {
    private let pid: Int32
    private let samples = Mutex<[[Double]]>([])
    private let stop = Atomic<Bool>(false)
    private var thread: Thread?

    init(pid: Int32) { self.pid = pid }

    func start() {
        let begin = monotonicNanos()
        let t = Thread { [self] in
            while !stop.load(ordering: .relaxed) {
                if let s = ProcSample.read(pid: pid) {
                    let at = Double(monotonicNanos() - begin) / 1e9
                    samples.withLock { $0.append([at, Double(s.rssKiB), Double(s.openFds)]) }
                }
                for _ in 0..<10 where !stop.load(ordering: .relaxed) { usleep(100_000) }
            }
        }
        thread = t
        t.start()
    }

    func finish() -> [[Double]] {
        stop.store(true, ordering: .relaxed)
        usleep(150_000)
        return samples.withLock { $0 }
    }
}
