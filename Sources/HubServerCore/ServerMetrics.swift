import Foundation
import HubCore
import HubDriverSupport
import Prometheus

/// Counters and the dispatch-latency histogram hub-server exposes on `/metrics`, besides the
/// queue figures it reads from PostgreSQL at scrape time.
///
/// Dispatch latency is measured from the events the server receives: the `instruction_updated`
/// event a submission publishes (status `pending`) and the `render_started` event of the claim
/// that follows. Both are stamped by their publishers right after their commits, so the
/// difference is commit-to-claim as seen on the event bus (clocks of different machines must be
/// in sync). Only submissions seen while the server runs are measured.
package final class ServerMetrics: Sendable {
    /// Upper bounds (seconds) of the latency histogram's buckets.
    package static let latencyBuckets: [Double] = HubMetrics.latencyBuckets

    struct State {
        var submitted: [Int64: Date] = [:]
        var submittedOrder: [Int64] = []
        var slowClientsDisconnected: UInt64 = 0
        var eventsReceived: UInt64 = 0
        var webSocketClients = 0
        /// The `template`/`composition` label pairs of the last scrape's per-template gauges.
        var templateGauges: [[String]: Gauge] = [:]
        var workerGauges: [[String]: Gauge] = [:]
    }

    private let state = PThreadLocked(State())
    /// How many submissions are remembered while waiting for their claim.
    let pendingLimit = 100_000
    /// This server's own metrics (swift-prometheus); ``prometheusText()`` renders them.
    let registry = PrometheusCollectorRegistry()
    private let latency: ValueHistogram
    private let eventsReceivedCounter: Counter
    private let messagesSentCounter: Counter
    private let slowDisconnectsCounter: Counter
    private let clientsGauge: Gauge

    package init() {
        latency = registry.makeValueHistogram(name: "hub_dispatch_latency_seconds", buckets: Self.latencyBuckets,
                                              help: "Submission to claim (instruction_updated pending to render_started events).")
        eventsReceivedCounter = registry.makeCounter(name: "hub_events_received_total", help: "Hub events received from Redis Pub/Sub.")
        messagesSentCounter = registry.makeCounter(name: "hub_websocket_messages_sent_total", help: "Events written to WebSocket clients.")
        slowDisconnectsCounter = registry.makeCounter(name: "hub_websocket_slow_disconnects_total",
                                                      help: "WebSocket clients disconnected because their buffer overflowed.")
        clientsGauge = registry.makeGauge(name: "hub_websocket_clients", help: "Connected WebSocket clients.")
    }

    /// Feeds one event received from Redis.
    func observe(type: String, instructionID: Int64?, status: String?, timestamp: Date) {
        eventsReceivedCounter.increment()
        let seconds: Double? = state.withLock { state in
            state.eventsReceived += 1
            guard let instructionID else { return nil }
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
                return max(0, timestamp.timeIntervalSince(submitted))
            }
            return nil
        }
        if let seconds { latency.record(seconds) }
    }

    func messageSent() { messagesSentCounter.increment() }
    func slowClientDisconnected() {
        slowDisconnectsCounter.increment()
        state.withLock { $0.slowClientsDisconnected += 1 }
    }
    func clientConnected() { clientsGauge.set(Double(state.withLock { $0.webSocketClients += 1; return $0.webSocketClients })) }
    func clientDisconnected() { clientsGauge.set(Double(state.withLock { $0.webSocketClients -= 1; return $0.webSocketClients })) }

    /// How many clients were cut off for being too slow (tests and the bench read it).
    package var slowClientsDisconnected: UInt64 { state.withLock { $0.slowClientsDisconnected } }
    /// How many events came in from Redis.
    package var eventsReceived: UInt64 { state.withLock { $0.eventsReceived } }

    /// Sets the queue gauges from a dashboard snapshot read at scrape time.
    func recordQueue(_ snapshot: DashboardSnapshot) {
        let totals = snapshot.totals
        registry.makeGauge(name: "hub_render_queue_depth", help: "Render instructions waiting for a worker (pending and stale).")
            .set(Double(totals.pending + totals.stale))
        let byStatus: [(String, Int)] = [("pending", totals.pending), ("processing", totals.rendering), ("stale", totals.stale),
                                         ("completed", totals.completed), ("failed", totals.failed), ("cancelled", totals.cancelled)]
        for (status, count) in byStatus {
            registry.makeGauge(name: "hub_renders", labels: [("status", status)],
                               help: "Render instructions by status: live ones all, finished ones of the last 24 hours.").set(Double(count))
        }
        var templates: [[String]: Int] = [:]
        for row in snapshot.renderQueue { templates[[row.template, row.composition], default: 0] += row.pending + row.stale }
        var workers: [[String]: Int] = [:]
        for worker in snapshot.workers where worker.stoppedAt == nil { workers[[worker.kind, "\(worker.healthy)"], default: 0] += 1 }
        state.withLock { state in
            state.templateGauges = replace(state.templateGauges, with: templates) { key in
                registry.makeGauge(name: "hub_render_queue_by_template", labels: [("template", key[0]), ("composition", key[1])],
                                   help: "Render instructions waiting per template.")
            }
            state.workerGauges = replace(state.workerGauges, with: workers) { key in
                registry.makeGauge(name: "hub_workers", labels: [("kind", key[0]), ("healthy", key[1])],
                                   help: "Registered hub processes by kind and health.")
            }
        }
    }

    /// Sets one gauge per key of `values` and removes the gauges of keys no longer there (a
    /// template whose queue emptied is not reported as waiting forever).
    private func replace(_ old: [[String]: Gauge], with values: [[String]: Int], make: ([String]) -> Gauge) -> [[String]: Gauge] {
        var gauges: [[String]: Gauge] = [:]
        for (key, value) in values {
            let gauge = old[key] ?? make(key)
            gauge.set(Double(value))
            gauges[key] = gauge
        }
        for (key, gauge) in old where gauges[key] == nil { registry.unregisterGauge(gauge) }
        return gauges
    }

    /// The server's own metrics in the Prometheus text format.
    func prometheusText() -> String { registry.emitToString() }
}
