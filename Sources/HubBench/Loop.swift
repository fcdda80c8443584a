import Foundation

/// Timed loops: Swift async loops on the cooperative pool, C loops on plain threads.
enum Loop {
    /// Runs `body` `count` times sequentially from a task, timing each call.
    static func swift(_ count: Int, _ body: @Sendable () async throws -> Void) async throws -> Samples {
        var samples = Samples()
        samples.nanos.reserveCapacity(count)
        let start = monotonicNanos()
        for _ in 0..<count {
            let t0 = monotonicNanos()
            try await body()
            samples.nanos.append(monotonicNanos() - t0)
        }
        samples.wallNanos = monotonicNanos() - start
        return samples
    }

    /// Runs a blocking `body` `count` times right where the caller runs, timing each call. Inside
    /// `withAffinity` that is the thread of the pool connection the affinity loop would use (not
    /// on the cooperative pool), so a C loop there runs on the very thread the Swift loop does.
    static func here(_ count: Int, _ body: () throws -> Void) rethrows -> Samples {
        var samples = Samples()
        samples.nanos.reserveCapacity(count)
        let start = monotonicNanos()
        for _ in 0..<count {
            let t0 = monotonicNanos()
            try body()
            samples.nanos.append(monotonicNanos() - t0)
        }
        samples.wallNanos = monotonicNanos() - start
        return samples
    }

    /// Runs a blocking `body` `count` times on a dedicated thread (never on the cooperative pool).
    static func onThread(_ count: Int, _ body: @escaping @Sendable () throws -> Void) async throws -> Samples {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try here(count, body) })
            }
            thread.start()
        }
    }

    /// `callers` tasks each running `body` `each` times; only throughput is reported.
    static func tasks(
        _ callers: Int, _ each: Int,
        inside wrapper: @escaping @Sendable (_ loop: () async throws -> Void) async throws -> Void = { try await $0() },
        _ body: @escaping @Sendable () async throws -> Void
    ) async throws -> Summary {
        let start = monotonicNanos()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<callers {
                group.addTask { try await wrapper { for _ in 0..<each { try await body() } } }
            }
            try await group.waitForAll()
        }
        let wall = monotonicNanos() - start
        return Summary(count: callers * each, p50Micros: 0, p99Micros: 0, perSecond: Double(callers * each) / (Double(wall) / 1e9))
    }

    /// `threads` C threads each running `body(i)` `each` times; only throughput is reported.
    static func threads(_ threads: Int, _ each: Int, _ body: @escaping @Sendable (Int) throws -> Void) async throws -> Summary {
        let start = monotonicNanos()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<threads {
                group.addTask {
                    _ = try await onThread(each) { try body(i) }
                }
            }
            try await group.waitForAll()
        }
        let wall = monotonicNanos() - start
        return Summary(count: threads * each, p50Micros: 0, p99Micros: 0, perSecond: Double(threads * each) / (Double(wall) / 1e9))
    }
}
