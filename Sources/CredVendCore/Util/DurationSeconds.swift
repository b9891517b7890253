extension Duration {
    /// The duration in seconds, for the APIs that take a `TimeInterval` (sleeps, timers, deadlines).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
