import Synchronization

/// A monotonically increasing count, safe to bump from any MHD worker without a lock.
public final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    public init() {}
    public func increment(by n: Int = 1) { value.add(n, ordering: .relaxed) }
    public var current: Int { value.load(ordering: .relaxed) }
}

/// A latency histogram with fixed buckets, lock-free on the request path.
public final class Histogram: Sendable {
    public let bounds: [Double]
    private let buckets: [Counter]
    private let sumMicros = Counter()
    private let count = Counter()

    public init(bounds: [Double]) {
        self.bounds = bounds
        self.buckets = bounds.map { _ in Counter() }
    }

    public func observe(seconds: Double) {
        for (i, b) in bounds.enumerated() where seconds <= b {
            buckets[i].increment()
            break
        }
        sumMicros.increment(by: Int(seconds * 1_000_000))
        count.increment()
    }

    /// Prometheus exposition lines (cumulative buckets).
    func render(name: String, into out: inout String) {
        var cumulative = 0
        for (i, b) in bounds.enumerated() {
            cumulative += buckets[i].current
            out += "\(name)_bucket{le=\"\(b)\"} \(cumulative)\n"
        }
        out += "\(name)_bucket{le=\"+Inf\"} \(count.current)\n"
        out += "\(name)_sum \(Double(sumMicros.current) / 1_000_000)\n"
        out += "\(name)_count \(count.current)\n"
    }
}

/// Counters keyed by a fixed set of label values, created once at start-up.
public final class LabeledCounters: Sendable {
    public let labels: [String]
    private let counters: [Counter]

    public init(labels: [String]) {
        self.labels = labels
        self.counters = labels.map { _ in Counter() }
    }

    public func increment(_ label: String) {
        if let i = labels.firstIndex(of: label) { counters[i].increment() }
    }

    public func value(_ label: String) -> Int { labels.firstIndex(of: label).map { counters[$0].current } ?? 0 }
}
