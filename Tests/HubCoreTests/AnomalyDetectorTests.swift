import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// Each anomaly rule as a table, with the clock given.
@Suite struct AnomalyRulesTests {
    static let now = Date(timeIntervalSince1970: 1_900_000_000)

    static func snapshot(_ change: (inout MonitorSnapshot) -> Void) -> MonitorSnapshot {
        var snapshot = MonitorSnapshot()
        change(&snapshot)
        return snapshot
    }

    static let cases: [(String, MonitorSnapshot, [String])] = [
        ("nothing happening", snapshot { _ in }, []),
        ("pending past 30 min", snapshot { $0.overdue = 2; $0.pending = 2; $0.oldestOverdue = now.addingTimeInterval(-2400) }, ["delay"]),
        ("15 % failed", snapshot { $0.finishedLastHour = 20; $0.failedLastHour = 3 }, ["error_spike"]),
        ("exactly 10 % failed", snapshot { $0.finishedLastHour = 20; $0.failedLastHour = 2 }, []),
        ("too few finished to judge", snapshot { $0.finishedLastHour = 5; $0.failedLastHour = 5 }, []),
        ("throughput halved with work waiting", snapshot { $0.completedPreviousHour = 100; $0.completedLastHour = 40; $0.pending = 5 }, ["throughput_drop"]),
        ("throughput halved, queue empty", snapshot { $0.completedPreviousHour = 100; $0.completedLastHour = 40 }, []),
        ("throughput at 60 %", snapshot { $0.completedPreviousHour = 100; $0.completedLastHour = 60; $0.pending = 5 }, []),
        ("11 waiting", snapshot { $0.pending = 11 }, ["queue_length"]),
        ("10 waiting", snapshot { $0.pending = 10 }, []),
        ("orphan premium hand", snapshot { $0.orphanHands = ["7"] }, ["orphan_hand"]),
        ("no hands table", snapshot { $0.orphanHands = nil }, []),
        ("silent worker", snapshot { $0.silentServices = [.init(id: "hub-worker:a-1", kind: "hub-worker", lastHeartbeat: now.addingTimeInterval(-90))] }, ["service_silent"]),
    ]

    @Test(arguments: cases.indices)
    func rule(_ index: Int) {
        let (name, snapshot, expected) = Self.cases[index]
        let findings = AnomalyRules.evaluate(snapshot, settings: AnomalySettings(), now: Self.now)
        #expect(findings.map(\.rule) == expected, "\(name)")
    }

    @Test func delayMessageSaysHowLong() {
        let findings = AnomalyRules.evaluate(Self.cases[1].1, settings: AnomalySettings(), now: Self.now)
        #expect(findings.first?.message.contains("the oldest for 40 min") == true)
        #expect(findings.first?.level == .warning)
    }

    @Test func orphanCreateActionRaisesNoAlert() {
        var settings = AnomalySettings()
        settings.orphanAction = .create
        #expect(AnomalyRules.evaluate(Self.cases[10].1, settings: settings, now: Self.now).isEmpty)
    }
}

/// The detector against PostgreSQL, with the clock injected.
@Suite struct AnomalyDetectorTests {
    let pool: PostgresPool
    let queue: RenderQueue
    let detector: AnomalyDetector

    init() async throws {
        pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 6)
        try await Migrator(pool: pool).up()
        let redis = try RedisClient(url: try await TestServices.endpoints().redisURL)
        queue = RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: DispatchConfiguration(stream: "test:monitor:\(UUID().uuidString.prefix(8))"))
        detector = AnomalyDetector(pool: pool, queue: queue, notifier: Notifier(pool: pool, events: nil))
    }

    func insert(_ count: Int, status: String, scheduled: Date? = nil, completed: Date? = nil, template: String = "t") async throws {
        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, status, data_hash, created_at, scheduled_at, completed_at)
            SELECT \(template), '{"format":"png"}', \(status), encode(sha256((\(template) || g::text || \(status))::bytea), 'hex'),
                   coalesce(\(scheduled), \(completed)), coalesce(\(scheduled), \(completed)), \(completed)
            FROM generate_series(1, \(count)) g
            """)
    }

    @Test func aPersistingConditionKeepsOneOpenEventAndClearsItself() async throws {
        let now = Date()
        try await insert(12, status: "pending", scheduled: now.addingTimeInterval(-40 * 60))
        let first = try await detector.pass(at: now, actor: "test")
        #expect(Set(first.findings.map(\.rule)) == ["delay", "queue_length"])
        #expect(first.opened.count == 2)
        #expect(first.notes.isEmpty, "the hands view of migration 0005 exists, so the orphan rule runs (and finds no hands)")
        let second = try await detector.pass(at: now.addingTimeInterval(60), actor: "test")
        #expect(second.opened.isEmpty, "not one event per pass")
        let open = try await MonitorEventStore(pool: pool).list(unresolved: true)
        #expect(open.count == 2)
        #expect(open.allSatisfy { $0.occurrences == 2 })
        let notifications = try await Notifier(pool: pool, events: nil).list()
        #expect(Set(notifications.map(\.rule)) == ["delay", "queue_length"], "one notification per opened event")
        #expect(notifications.count == 2)
        try await pool.query("UPDATE render_instructions SET status = 'cancelled', completed_at = \(now)")
        let third = try await detector.pass(at: now.addingTimeInterval(120), actor: "test")
        #expect(Set(third.resolved.map(\.rule)) == ["delay", "queue_length"])
        #expect(try await MonitorEventStore(pool: pool).list(unresolved: true).isEmpty)
    }

    @Test func hourWindowsFollowTheInjectedClock() async throws {
        let now = Date()
        try await insert(20, status: "completed", completed: now.addingTimeInterval(-90 * 60))
        try await insert(9, status: "completed", completed: now.addingTimeInterval(-10 * 60))
        try await insert(3, status: "failed", completed: now.addingTimeInterval(-5 * 60))
        try await insert(2, status: "pending", scheduled: now.addingTimeInterval(-60))
        let snapshot = try await detector.snapshot(at: now, settings: AnomalySettings())
        #expect(snapshot.completedPreviousHour == 20)
        #expect(snapshot.completedLastHour == 9)
        #expect(snapshot.finishedLastHour == 12)
        #expect(snapshot.failedLastHour == 3)
        let findings = try await detector.pass(at: now, actor: "test").findings.map(\.rule)
        #expect(Set(findings) == ["throughput_drop", "error_spike"])
        let later = try await detector.snapshot(at: now.addingTimeInterval(3 * 3600), settings: AnomalySettings())
        #expect(later.completedLastHour == 0 && later.completedPreviousHour == 0 && later.finishedLastHour == 0)
    }

    @Test func orphanPremiumHandsOnceTheHandsTableExists() async throws {
        // Without the hands relation (a database before hub-sync's migration) the rule is skipped.
        try await pool.query("DROP VIEW hands")
        let skipped = try await detector.pass(at: Date(), actor: "test")
        #expect(skipped.notes.first?.contains("hands table does not exist") == true, "the orphan rule skips with a note")
        // A minimal stand-in for the view: the rule reads only id and is_premium.
        try await pool.query("CREATE TABLE hands (id bigint PRIMARY KEY, is_premium boolean NOT NULL)")
        try await pool.query("INSERT INTO hands VALUES (1, true), (2, true), (3, false)")
        _ = try await queue.store.submit(RenderSubmission(templateName: "premium_hand", trigger: .premiumHand, triggerID: "1"), actor: "sync")
        let alert = try await detector.pass(at: Date(), actor: "test")
        #expect(alert.notes.isEmpty)
        #expect(alert.findings.filter { $0.rule == "orphan_hand" }.map(\.subject) == ["2"])
        try await pool.query("UPDATE system_config SET value = '\"create\"' WHERE key = 'monitor.orphan_action'")
        let create = try await detector.pass(at: Date(), actor: "test")
        #expect(create.createdInstructions.count == 1)
        let made = try await queue.store.instruction(try #require(create.createdInstructions.first))
        #expect(made.trigger == .premiumHand)
        #expect(made.triggerID == "2")
        #expect(create.resolved.map(\.subject) == ["2"], "the alert clears once the hand has its instruction")
        #expect(try await detector.pass(at: Date(), actor: "test").createdInstructions.isEmpty, "created once")
    }

    @Test func aSilentProcessIsMarkedUnhealthyAndRecovers() async throws {
        let registry = ServiceRegistry(pool: pool)
        try await registry.heartbeat(id: "hub-worker:render-1-99", kind: "hub-worker", mode: "redis")
        try await registry.heartbeat(id: "hub-worker:render-2-98", kind: "hub-worker", mode: "redis")
        try await pool.query("UPDATE service_registry SET last_heartbeat = now() - interval '2 minutes' WHERE id = 'hub-worker:render-1-99'")
        let report = try await detector.pass(at: Date(), actor: "test")
        #expect(report.opened.map(\.subject) == ["hub-worker:render-1-99"])
        #expect(report.opened.first?.level == .error)
        let health = try await pool.query("SELECT id, health FROM service_registry ORDER BY id")
        #expect(try health.map { try $0.decode(String.self, at: 1) } == ["unhealthy", "healthy"])
        try await registry.heartbeat(id: "hub-worker:render-1-99", kind: "hub-worker", mode: "redis")
        let back = try await detector.pass(at: Date(), actor: "test")
        #expect(back.resolved.map(\.subject) == ["hub-worker:render-1-99"])
        #expect(try await pool.query("SELECT count(*) FROM service_registry WHERE health = 'unhealthy'")[0].decode(Int.self, at: 0) == 0)
    }

    @Test func operatorsResolveEventsOnce() async throws {
        let store = MonitorEventStore(pool: pool)
        let (event, opened) = try await store.raise(rule: "delay", level: .warning, message: "late", at: Date())
        #expect(opened)
        let resolved = try await store.resolve(event.id, actor: "kim", reason: "workers restarted")
        #expect(resolved.resolvedBy == "kim")
        #expect(resolved.resolution == "workers restarted")
        #expect(await (#expect(throws: HubError.self) { try await store.resolve(event.id, actor: "kim", reason: nil) })?.code == .conflict)
        #expect(await (#expect(throws: HubError.self) { try await store.resolve(424_242, actor: "kim", reason: nil) })?.code == .notFound)
        let (again, reopened) = try await store.raise(rule: "delay", level: .warning, message: "late", at: Date())
        #expect(reopened, "a condition that returns after a resolve opens a new event")
        #expect(again.id != event.id)
    }
}
