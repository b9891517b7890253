import CredVendSync
import Foundation
import Testing

@testable import CredVend

/// The access log's batching: every line arrives whole and in order, nothing waits for
/// the disk on the request path, and warnings, a full buffer and a flush write at once.
@Suite struct BatchedLineWriterTests {
    /// What a sink received: each batch as one element.
    final class Sink: Sendable {
        let batches = Locked<[[UInt8]]>([])
        func take(_ batch: [UInt8]) { batches.withLock { $0.append(batch) } }
        var lines: [String] {
            batches.withLock { $0 }.flatMap { String(decoding: $0, as: UTF8.self).split(separator: "\n") }.map(
                String.init
            )
        }
        var count: Int { batches.withLock { $0.count } }
    }

    static func line(_ text: String) -> [UInt8] { Array((text + "\n").utf8) }

    @Test func linesFromManyThreadsArriveWholeOnceEachAndInEachThreadsOrder() {
        let sink = Sink()
        let writer = BatchedLineWriter(interval: .milliseconds(1), highWater: 4096) { sink.take($0) }
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            for i in 0..<2000 {
                writer.append(Self.line("thread=\(t) line=\(i) " + String(repeating: "x", count: i % 97)))
            }
        }
        writer.flush()
        let lines = sink.lines
        #expect(lines.count == 8000)
        for t in 0..<4 {
            let mine = lines.filter { $0.hasPrefix("thread=\(t) ") }
            let expected = (0..<2000).map { "thread=\(t) line=\($0) " + String(repeating: "x", count: $0 % 97) }
            #expect(mine == expected)
        }
        // Batched: far fewer writes than lines.
        #expect(sink.count < 8000 / 4)
    }

    @Test func aLineAfterAQuietIntervalIsWrittenAtOnceTheLinesRightAfterItWithinTheInterval() throws {
        let sink = Sink()
        let writer = BatchedLineWriter(interval: .milliseconds(50)) { sink.take($0) }
        writer.append(Self.line("first"))
        #expect(sink.lines == ["first"])  // nothing before it: on the caller's thread
        writer.append(Self.line("second"))
        writer.append(Self.line("third"))
        #expect(sink.count == 1)  // buffered for the writer thread
        let deadline = Date().addingTimeInterval(5)
        while sink.count < 2 && Date() < deadline { usleep(2000) }
        #expect(sink.lines == ["first", "second", "third"])
        #expect(sink.count == 2)
        usleep(120_000)  // quiet again
        writer.append(Self.line("fourth"))
        #expect(sink.lines == ["first", "second", "third", "fourth"])
    }

    @Test func anUrgentLineIsWrittenAtOnceAfterEverythingBeforeIt() {
        let sink = Sink()
        let writer = BatchedLineWriter(interval: .seconds(60)) { sink.take($0) }
        writer.append(Self.line("info 1"))
        writer.append(Self.line("info 2"))
        writer.append(Self.line("warning"), urgent: true)
        #expect(sink.count == 2)  // "info 1" (after a quiet interval), then the rest at once
        #expect(sink.lines == ["info 1", "info 2", "warning"])
    }

    @Test func aFullBufferIsWrittenByTheAppendingThread() {
        let sink = Sink()
        let writer = BatchedLineWriter(interval: .seconds(60), highWater: 100) { sink.take($0) }
        for i in 0..<10 { writer.append(Self.line("line \(i) " + String(repeating: "y", count: 20))) }
        #expect(sink.count >= 2)
        writer.flush()
        #expect(sink.lines.count == 10)
        #expect(sink.lines.first == "line 0 " + String(repeating: "y", count: 20))
    }

    @Test func flushWithNothingBufferedWritesNothing() {
        let sink = Sink()
        let writer = BatchedLineWriter { sink.take($0) }
        writer.flush()
        writer.append(Self.line("one"))
        writer.flush()
        writer.flush()
        #expect(sink.count == 1)
    }
}
