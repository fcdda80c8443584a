extension Duration {
    /// The duration in seconds, with fractions (for `make_interval(secs => …)` and comparisons).
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
