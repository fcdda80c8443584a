import HubDriverSupport

/// Group commit for any operation that is cheaper in bulk: callers submit one request each and
/// await their own answer; requests that arrive while a batch is being flushed wait and go
/// together in the next one.
///
/// Nothing waits for a batch to fill: an idle coalescer flushes a lone request at once, so the
/// latency of a single call is one flush. Under load the batches grow by themselves, up to
/// `maxBatch`, and the cost per request (a transaction commit, a network round trip) is shared.
/// At most `maxConcurrentFlushes` flushes run at a time; requests keep their arrival order.
package final class Coalescer<Request: Sendable, Response: Sendable>: Sendable {
    /// Turns a batch of requests into one answer per request, in the same order.
    package typealias Flush = @Sendable ([Request]) async -> [Result<Response, any Error>]

    private struct Waiting {
        var request: Request
        var continuation: CheckedContinuation<Response, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var flushing = 0
    }

    private let flush: Flush
    private let maxBatch: Int
    private let maxConcurrentFlushes: Int
    private let state = PThreadLocked(State())

    /// Creates a coalescer that hands batches of at most `maxBatch` requests to `flush`.
    package init(maxBatch: Int = 100, maxConcurrentFlushes: Int = 1, flush: @escaping Flush) {
        self.flush = flush
        self.maxBatch = max(1, maxBatch)
        self.maxConcurrentFlushes = max(1, maxConcurrentFlushes)
    }

    /// Submits `request` and waits for its answer (the flush's result for it).
    package func submit(_ request: Request) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state -> Bool in
                state.waiting.append(Waiting(request: request, continuation: continuation))
                guard state.flushing < maxConcurrentFlushes else { return false }
                state.flushing += 1
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    /// Flushes batches until nothing is waiting.
    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                let batch = Array(state.waiting.prefix(maxBatch))
                state.waiting.removeFirst(batch.count)
                if batch.isEmpty { state.flushing -= 1 }
                return batch
            }
            guard !batch.isEmpty else { return }
            let results = await flush(batch.map(\.request))
            for (index, waiting) in batch.enumerated() {
                if index < results.count {
                    waiting.continuation.resume(with: results[index])
                } else {
                    waiting.continuation.resume(throwing: CoalescerError.missingAnswer)
                }
            }
        }
    }
}

/// A flush returned fewer answers than it was given requests (a programming error in the flush).
package enum CoalescerError: Error, CustomStringConvertible {
    case missingAnswer

    package var description: String { "internal error: a batched operation returned no answer for a request" }
}
