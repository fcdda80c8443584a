import Foundation
import HubDriverSupport

/// Counters and the dispatch-latency histogram hub-server exposes on `/metrics`, besides the
/// queue figures it reads from PostgreSQL at scrape time.
///
/// Dispatch latency is measured from the events the server receives: the `instruction_updated`
/// event a submission publishes (status `pending`) and the `render_started` event of the claim
/// that follows. Both are stamped by their publishers right after their commits, so the
/// difference is commit-to-claim as seen on the event bus (clocks of different machines must be
/// in sync). Only submissions seen while the server runs are measured.
public final class ServerMetrics: Sendable {
    /// Upper bounds (seconds) of the latency histogram's buckets.
    public static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    struct State {
        var bucketCounts = [UInt64](repeating: 0, count: ServerMetrics.latencyBuckets.count)
        var latencyCount: UInt64 = 0
        var latencySum: Double = 0
        var submitted: [Int64: Date] = [:]
        var submittedOrder: [Int64] = []
        var eventsReceived: UInt64 = 0
        var messagesSent: UInt64 = 0
        var slowClientsDisconnected: UInt64 = 0
        var webSocketClients: Int = 0
    }

    private let state = PThreadLocked(State())
    /// How many submissions are remembered while waiting for their claim.
    let pendingLimit = 100_000

    public init() {}

    /// Feeds one event received from Redis.
    func observe(type: String, instructionID: Int64?, status: String?, timestamp: Date) {
        state.withLock { state in
            state.eventsReceived += 1
            guard let instructionID else { return }
            if type == "instruction_updated", status == "pending" {
                if state.submitted.updateValue(timestamp, forKey: instructionID) == nil {
                    state.submittedOrder.append(instructionID)
                    if state.submittedOrder.count > pendingLimit {
                        let excess = state.submittedOrder.count - pendingLimit / 2
                        for id in state.submittedOrder.prefix(excess) { state.submitted[id] = nil }
                        state.submittedOrder.removeFirst(excess)
                    }
                }
            } else if type == "render_started", let submitted = state.submitted.removeValue(forKey: instructionID) {
                let seconds = max(0, timestamp.timeIntervalSince(submitted))
                for (index, bound) in Self.latencyBuckets.enumerated() where seconds <= bound {
                    state.bucketCounts[index] += 1
                }
                state.latencyCount += 1
                state.latencySum += seconds
            }
        }
    }

    func messageSent() { state.withLock { $0.messagesSent += 1 } }
    func slowClientDisconnected() { state.withLock { $0.slowClientsDisconnected += 1 } }
    func clientConnected() { state.withLock { $0.webSocketClients += 1 } }
    func clientDisconnected() { state.withLock { $0.webSocketClients -= 1 } }

    /// How many clients were cut off for being too slow (tests and the bench read it).
    public var slowClientsDisconnected: UInt64 { state.withLock { $0.slowClientsDisconnected } }
    /// How many events came in from Redis.
    public var eventsReceived: UInt64 { state.withLock { $0.eventsReceived } }

    /// The process's own metrics in the Prometheus text format.
    func prometheusText() -> String {
        let s = state.withLock { $0 }
        var lines: [String] = []
        lines.append("# HELP hub_dispatch_latency_seconds Submission to claim (instruction_updated pending to render_started events).")
        lines.append("# TYPE hub_dispatch_latency_seconds histogram")
        for (index, bound) in Self.latencyBuckets.enumerated() {
            lines.append("hub_dispatch_latency_seconds_bucket{le=\"\(bound)\"} \(s.bucketCounts[index])")
        }
        lines.append("hub_dispatch_latency_seconds_bucket{le=\"+Inf\"} \(s.latencyCount)")
        lines.append("hub_dispatch_latency_seconds_sum \(s.latencySum)")
        lines.append("hub_dispatch_latency_seconds_count \(s.latencyCount)")
        lines.append("# HELP hub_events_received_total Hub events received from Redis Pub/Sub.")
        lines.append("# TYPE hub_events_received_total counter")
        lines.append("hub_events_received_total \(s.eventsReceived)")
        lines.append("# HELP hub_websocket_messages_sent_total Events written to WebSocket clients.")
        lines.append("# TYPE hub_websocket_messages_sent_total counter")
        lines.append("hub_websocket_messages_sent_total \(s.messagesSent)")
        lines.append("# HELP hub_websocket_slow_disconnects_total WebSocket clients disconnected because their buffer overflowed.")
        lines.append("# TYPE hub_websocket_slow_disconnects_total counter")
        lines.append("hub_websocket_slow_disconnects_total \(s.slowClientsDisconnected)")
        lines.append("# HELP hub_websocket_clients Connected WebSocket clients.")
        lines.append("# TYPE hub_websocket_clients gauge")
        lines.append("hub_websocket_clients \(s.webSocketClients)")
        return lines.joined(separator: "\n") + "\n"
    }
}
