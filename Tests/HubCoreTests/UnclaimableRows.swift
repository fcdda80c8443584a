import HubCore
import HubPostgres
import Testing

/// The invariant of issue 13 item 3: no row waits where no claim can take it. A `pending` or
/// `stale` row with `cancel_requested` set is skipped by every claim and refused by a retry
/// ("already pending and due"), so it would strand forever. Run it after every fault test.
func assertNoUnclaimableRows(_ pool: PostgresPool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let rows = try await pool.query("""
        SELECT id, status FROM render_instructions
        WHERE status IN ('pending', 'stale') AND cancel_requested ORDER BY id
        """)
    let stranded = try rows.map { "\(try $0.decode(Int64.self, at: 0)) (\(try $0.decode(String.self, at: 1)))" }
    #expect(stranded.isEmpty, "instructions no claim can take (pending/stale with cancel_requested): \(stranded.joined(separator: ", "))",
            sourceLocation: sourceLocation)
}
