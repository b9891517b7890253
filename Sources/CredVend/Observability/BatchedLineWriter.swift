import CredVendCore
import CredVendSync
import CredVendSystem
import Dispatch
import Foundation

/// Log lines for stderr, written in batches by one writer thread: a request thread only
/// appends its line to a buffer, and one write(2) carries every line of the last
/// `interval`. One write(2) per request was the largest per-request cost of the hot path
/// when stderr is a file (an ext4 append takes the inode lock and dirties the page each
/// time), and a wake-up per line would have moved that cost to the scheduler instead;
/// here the writer is woken once per batch, by the line that finds the buffer empty.
///
/// - Lines stay whole and in order: batches hold whole lines, are cut under one lock and
///   written under another, in the order they were cut.
/// - Nothing waits on the disk while the buffer is below `highWater`; past it the appending
///   thread writes the batch itself (so a stalled stderr slows requests, as before, instead of
///   growing memory).
/// - An `urgent` line (warnings and errors) is written at once, after everything before it.
/// - So is a line after a quiet `interval` (nothing buffered, no line appended in it): at a
///   few requests a second every line is on stderr before its response is sent, as it was
///   with a write per line; only lines that follow each other within `interval` wait for
///   the writer.
/// - `flush()` writes what is buffered; the process-wide writer flushes at exit (`atexit`:
///   after `serve` has stopped gracefully, or any command returns or calls `exit`), so a
///   graceful stop loses no line. A crash loses at most the last `interval` of lines.
public final class BatchedLineWriter: Sendable {
    /// The process's stderr writer (LineLogHandler's).
    public static let standardError: BatchedLineWriter = {
        let writer = BatchedLineWriter { StandardError.write($0) }
        atexit { BatchedLineWriter.standardError.flush() }
        return writer
    }()

    private let buffer = Locked<(bytes: [UInt8], lastAppend: UInt64)>(([], 0))
    /// Behind its own lock, so batches reach it one at a time in the order they were cut.
    /// `spare` is the buffer the next batch starts in: batches swap buffers, so a flush
    /// allocates nothing (a batch past glibc's mmap threshold cost an mmap and a munmap).
    private let sink: Locked<(deliver: @Sendable ([UInt8]) -> Void, spare: [UInt8])>
    private let wake = DispatchSemaphore(value: 0)
    private let highWater: Int
    private let intervalNanos: UInt64

    /// `sink` receives each batch (whole lines, in order) on one thread at a time.
    public init(
        interval: Duration = .milliseconds(10),
        highWater: Int = 64 * 1024,
        sink: @escaping @Sendable ([UInt8]) -> Void
    ) {
        self.sink = Locked((deliver: sink, spare: []))
        self.highWater = highWater
        intervalNanos =
            UInt64(interval.components.seconds) * 1_000_000_000
            + UInt64(interval.components.attoseconds / 1_000_000_000)
        let wake = wake
        let pause = interval.inSeconds
        startThread(named: "credvend-log-writer") { [weak self] in
            while true {
                wake.wait()
                guard let self else { return }  // deinit's signal: the writer is gone
                Thread.sleep(forTimeInterval: pause)
                self.flush()
            }
        }
    }

    /// Lets the writer thread end (what is buffered was flushed by whoever still held it).
    deinit { wake.signal() }

    /// Adds `line` (which ends in a newline) to the next batch.
    public func append(_ line: [UInt8], urgent: Bool = false) {
        let now = MonotonicClock.nanos()
        let (first, writeNow) = buffer.withLock { b -> (Bool, Bool) in
            let first = b.bytes.isEmpty
            let quiet = first && now &- b.lastAppend >= intervalNanos
            b.lastAppend = now
            b.bytes.append(contentsOf: line)
            return (first, quiet || b.bytes.count >= highWater)
        }
        if urgent || writeNow {
            flush()
        } else if first {
            wake.signal()
        }
    }

    /// Writes every line appended so far.
    public func flush() {
        sink.withLock { s in
            var batch = s.spare
            s.spare = []
            buffer.withLock { b in swap(&b.bytes, &batch) }
            if !batch.isEmpty { s.deliver(batch) }
            batch.removeAll(keepingCapacity: true)
            s.spare = batch
        }
    }
}
