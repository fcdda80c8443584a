import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// `hubctl delivery drop ID --reason TEXT`: an owed delivery an operator gives up on.
@Suite(.timeLimit(.minutes(2))) struct DeliveryDropCommandTests {
    @Test func dropMarksAnOwedDeliveryDroppedAndRefusesWhatIsNotOwed() async throws {
        let (env, pool) = try await HubSyncTests.environment()
        let id = try await pool.query("""
            INSERT INTO render_instructions (template_name, layer_data, output_settings, data_hash, status, completed_at)
            VALUES ('outro', '{}', '{}', repeat('a', 64), 'completed', now()) RETURNING id
            """)[0].decode(Int64.self, at: 0)
        try await pool.query("""
            INSERT INTO render_deliveries (instruction_id, template, source_path, directory, host, attempts, last_error)
            VALUES (\(id), 'outro', '/gone/outro.png', '/mnt/playout', 'render-3', 4, 'folder does not exist')
            """)
        let missingReason = try await Hubctl.run(["delivery", "drop", String(id)], env: env)
        #expect(missingReason.status == 2 && missingReason.stderr.contains("--reason"), "\(missingReason.stderr)")
        let out = try await Hubctl.ok(["delivery", "drop", String(id), "--reason", "render-3 decommissioned", "--actor", "kim"], env: env)
        #expect(out.contains("dropped") && out.contains("render-3 decommissioned"), "\(out)")
        let row = try await pool.query("SELECT status, last_error FROM render_deliveries WHERE instruction_id = \(id)")[0]
        #expect(try row.decode(String.self, at: 0) == "dropped")
        #expect(try row.decode(String.self, at: 1) == "dropped by kim: render-3 decommissioned")
        let pending = try await Hubctl.ok(["delivery", "status", "--pending"], env: env)
        #expect(pending.contains("no delivery is owed"), "\(pending)")
        let unknown = try await Hubctl.run(["delivery", "drop", "987654", "--reason", "typo"], env: env)
        #expect(unknown.status != 0 && unknown.stderr.contains("owes no delivery"), "\(unknown.status): \(unknown.stderr)")
        await pool.close()
    }
}
