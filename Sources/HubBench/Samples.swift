import Foundation

/// Latency samples in nanoseconds plus the wall time they took.
struct Samples {
    var nanos: [UInt64] = []
    var wallNanos: UInt64 = 0

    mutating func append(_ other: Samples) {
        nanos += other.nanos
        wallNanos += other.wallNanos
    }

    var summary: Summary {
        let sorted = nanos.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
            return Double(sorted[max(0, index)]) / 1000
        }
        let perSecond = wallNanos == 0 ? 0 : Double(nanos.count) / (Double(wallNanos) / 1e9)
        return Summary(count: nanos.count, p50Micros: percentile(0.50), p99Micros: percentile(0.99), perSecond: perSecond)
    }
}

/// The figures of one side of a benchmark.
struct Summary: Codable {
    var count: Int
    var p50Micros: Double
    var p99Micros: Double
    var perSecond: Double
}

/// One benchmark: the raw C loop against the Swift client.
struct BenchResult: Codable {
    var name: String
    var raw: Summary
    var swift: Summary

    /// Extra time per operation the Swift layer adds, from throughput (positive = slower).
    var overheadPercent: Double {
        guard swift.perSecond > 0 else { return 0 }
        return (raw.perSecond / swift.perSecond - 1) * 100
    }

    static func table(_ results: [BenchResult]) -> String {
        func f(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }
        var rows = [["benchmark", "side", "p50 µs", "p99 µs", "ops/s", "Swift overhead"]]
        for r in results {
            let p50 = r.raw.p50Micros > 0 ? "p50 \(f((r.swift.p50Micros / r.raw.p50Micros - 1) * 100))%" : ""
            rows.append([r.name, "raw C", r.raw.p50Micros > 0 ? f(r.raw.p50Micros) : "-", r.raw.p99Micros > 0 ? f(r.raw.p99Micros) : "-", f(r.raw.perSecond, 0), ""])
            rows.append(["", "Swift", r.swift.p50Micros > 0 ? f(r.swift.p50Micros) : "-", r.swift.p99Micros > 0 ? f(r.swift.p99Micros) : "-", f(r.swift.perSecond, 0),
                         "\(f(r.overheadPercent))% per op" + (r.raw.p50Micros > 0 ? ", \(p50)" : "")])
        }
        var widths = Array(repeating: 0, count: rows[0].count)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        return rows.map { row in
            row.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// Monotonic nanoseconds (since the first call's process-wide origin).
@inline(__always)
func monotonicNanos() -> UInt64 {
    // The origin first: a global is initialized on first use, so reading the clock before it made
    // the first call's elapsed time negative, which trapped (`hub-bench` died on its first sample).
    let origin = monotonicOrigin
    let elapsed = ContinuousClock.now - origin
    return UInt64(max(0, elapsed.components.seconds)) * 1_000_000_000 + UInt64(max(0, elapsed.components.attoseconds) / 1_000_000_000)
}

private let monotonicOrigin = ContinuousClock.now
