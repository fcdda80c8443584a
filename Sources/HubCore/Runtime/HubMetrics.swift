import CoreMetrics
import Foundation
import HubDriverSupport
import Metrics
import Prometheus

/// The hub's metrics: swift-metrics handles backed by one Prometheus registry per process.
///
/// ``bootstrap()`` (which ``HubRuntime`` calls) installs the Prometheus factory once; before it, and
/// in a process that never calls it (a service that links HubCore for its queries), every metric
/// is a no-op. Handles are looked up at each use (the factory returns the registered metric), so a
/// metric recorded before and after the bootstrap of a test process still reaches the registry.
///
/// Every name and label set is declared here and nowhere else: Prometheus refuses one name with
/// two label sets.
package enum HubMetrics {
    /// The process's registry; ``exposition()`` renders it.
    package static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped = PThreadLocked(false)

    /// Upper bounds (seconds) of the dispatch-latency histogram's buckets.
    package static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
    /// Upper bounds (seconds) of the render and sync duration histograms.
    package static let durationBuckets: [Double] = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]

    /// Installs the Prometheus backend of swift-metrics (once per process; later calls do nothing).
    package static func bootstrap() {
        bootstrapped.withLock { done in
            guard !done else { return }
            var factory = PrometheusMetricsFactory(registry: registry)
            factory.defaultDurationHistogramBuckets = durationBuckets.map { .nanoseconds(Int64($0 * 1e9)) }
            factory.durationHistogramBuckets[Name.dispatchLatency] = latencyBuckets.map { .nanoseconds(Int64($0 * 1e9)) }
            factory.durationHistogramBuckets[Name.serverDispatchLatency] = latencyBuckets.map { .nanoseconds(Int64($0 * 1e9)) }
            MetricsSystem.bootstrap(factory)
            done = true
        }
    }

    /// Whether ``bootstrap()`` ran in this process.
    package static var isBootstrapped: Bool { bootstrapped.withLock { $0 } }

    /// The registry in the Prometheus text format (version 0.0.4).
    package static func exposition() -> String { registry.emitToString() }

    /// Metric names (the `hub_` prefix keeps them apart from a scraper's own).
    package enum Name {
        package static let dispatchLatency = "hub_dispatch_latency_seconds"
        package static let serverDispatchLatency = "hub_event_dispatch_latency_seconds"
        package static let renders = "hub_renders_total"
        package static let renderDuration = "hub_render_duration_seconds"
        package static let claims = "hub_claims_total"
        package static let leasesLost = "hub_leases_lost_total"
        package static let reaped = "hub_reaped_total"
        package static let quarantined = "hub_quarantined_total"
        package static let outboxDepth = "hub_outbox_depth"
        package static let fallbackMode = "hub_fallback_mode"
        package static let busySlots = "hub_worker_busy_slots"
        package static let syncFiles = "hub_sync_files_total"
        package static let syncHands = "hub_sync_hands_total"
        package static let syncDuration = "hub_sync_duration_seconds"
        package static let webhookDeliveries = "hub_webhook_deliveries_total"
        package static let eventsReceived = "hub_events_received_total"
        package static let webSocketMessages = "hub_websocket_messages_sent_total"
        package static let webSocketSlowDisconnects = "hub_websocket_slow_disconnects_total"
        package static let webSocketClients = "hub_websocket_clients"
        package static let queueInstructions = "hub_render_instructions"
        package static let processUp = "hub_process_up"
    }

    // MARK: Render dispatch and lifecycle

    /// Commit to claim of one instruction (PostgreSQL's own timestamps).
    package static func recordDispatchLatency(seconds: Double) {
        CoreMetrics.Timer(label: Name.dispatchLatency).recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    /// Instructions claimed, by dispatch mode (`redis`, `database_fallback`).
    package static func claimed(_ count: Int, mode: String) {
        guard count > 0 else { return }
        CoreMetrics.Counter(label: Name.claims, dimensions: [("mode", mode)]).increment(by: count)
    }

    /// A render attempt ended: `completed`, `failed`, `cancelled`, `handed_back` or `lease_lost`.
    package static func renderFinished(outcome: String, duration: Duration? = nil) {
        CoreMetrics.Counter(label: Name.renders, dimensions: [("outcome", outcome)]).increment()
        if outcome == "lease_lost" { CoreMetrics.Counter(label: Name.leasesLost).increment() }
        if let duration { CoreMetrics.Timer(label: Name.renderDuration).recordNanoseconds(duration.nanoseconds) }
    }

    /// Slots rendering right now.
    package static func busySlots(_ count: Int) { CoreMetrics.Gauge(label: Name.busySlots).record(count) }

    /// Instructions the Zombie Hunter took back and quarantined in one pass.
    package static func reaped(_ count: Int, quarantined: Int) {
        if count > 0 { CoreMetrics.Counter(label: Name.reaped).increment(by: count) }
        if quarantined > 0 { CoreMetrics.Counter(label: Name.quarantined).increment(by: quarantined) }
    }

    /// Outbox rows not yet relayed to Redis.
    package static func outboxDepth(_ depth: Int) { CoreMetrics.Gauge(label: Name.outboxDepth).record(depth) }

    /// 1 while the process dispatches on PostgreSQL because Redis is unreachable, else 0.
    package static func fallbackMode(_ on: Bool) { CoreMetrics.Gauge(label: Name.fallbackMode).record(on ? 1 : 0) }

    // MARK: Sync

    /// Files of a sync run by outcome: `imported`, `unchanged` or `failed`.
    package static func syncFiles(_ count: Int, source: String, outcome: String) {
        guard count > 0 else { return }
        CoreMetrics.Counter(label: Name.syncFiles, dimensions: [("source", source), ("outcome", outcome)]).increment(by: count)
    }

    /// Hands of a sync run: `new`, `existing` (already imported).
    package static func syncHands(_ count: Int, outcome: String) {
        guard count > 0 else { return }
        CoreMetrics.Counter(label: Name.syncHands, dimensions: [("outcome", outcome)]).increment(by: count)
    }

    /// How long one sync run of a source took.
    package static func syncDuration(source: String, _ duration: Duration) {
        CoreMetrics.Timer(label: Name.syncDuration, dimensions: [("source", source)]).recordNanoseconds(duration.nanoseconds)
    }

    // MARK: Notifications and the live feed

    /// A webhook delivery ended: `delivered` or `failed`.
    package static func webhookDelivery(outcome: String) {
        CoreMetrics.Counter(label: Name.webhookDeliveries, dimensions: [("outcome", outcome)]).increment()
    }

    /// Submission to claim as seen on the event bus by hub-server.
    package static func recordEventDispatchLatency(seconds: Double) {
        CoreMetrics.Timer(label: Name.serverDispatchLatency).recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    package static func eventReceived() { CoreMetrics.Counter(label: Name.eventsReceived).increment() }
    package static func webSocketMessageSent() { CoreMetrics.Counter(label: Name.webSocketMessages).increment() }
    package static func webSocketSlowDisconnect() { CoreMetrics.Counter(label: Name.webSocketSlowDisconnects).increment() }
    package static func webSocketClients(_ count: Int) { CoreMetrics.Gauge(label: Name.webSocketClients).record(count) }

    /// Instructions by status, read from PostgreSQL when scraped.
    package static func queueInstructions(status: String, count: Int) {
        CoreMetrics.Gauge(label: Name.queueInstructions, dimensions: [("status", status)]).record(count)
    }

    /// 1 for a running process of `program` (a scrape target that answers is up).
    package static func processUp(program: String) {
        CoreMetrics.Gauge(label: Name.processUp, dimensions: [("program", program)]).record(1)
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product.addingReportingOverflow(attoseconds / 1_000_000_000).overflow ? .max : product + attoseconds / 1_000_000_000
    }
}
