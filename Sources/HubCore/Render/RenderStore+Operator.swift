import Foundation
import HubPostgres

extension RenderStore {
    /// One attempt of an instruction, from its timeline and outputs: who ran it under which lease,
    /// how it ended and why.
    package struct Attempt: Sendable, Hashable, Codable {
        package var attempt: Int
        package var workerID: String?
        package var leaseToken: UUID?
        package var claimedAt: Date?
        /// The last event of the attempt: `completed`, `retry_scheduled`, `failed`, `lease_expired`, `handed_back`, `cancelled`, or `claimed` while it runs.
        package var outcome: String
        package var endedAt: Date?
        /// The error or reason that ended it.
        package var reason: String?
        package var outputPath: String?
        /// The progress recorded when its lease expired (`frame/total`), if it did.
        package var lastProgress: String?
    }

    /// The attempts of instruction `id`, oldest first.
    package func attempts(_ id: Int64) async throws -> [Attempt] {
        let rows = try await pool.query("""
            SELECT t.attempt,
                   (array_agg(t.worker_id ORDER BY t.id) FILTER (WHERE t.worker_id IS NOT NULL))[1],
                   (array_agg(t.lease_token ORDER BY t.id) FILTER (WHERE t.lease_token IS NOT NULL))[1],
                   min(t.occurred_at) FILTER (WHERE t.event = 'claimed'),
                   (array_agg(t.event ORDER BY t.id DESC))[1],
                   max(t.occurred_at) FILTER (WHERE t.event <> 'claimed'),
                   (array_agg(t.reason ORDER BY t.id DESC) FILTER (WHERE t.reason IS NOT NULL))[1],
                   (SELECT o.output_path FROM render_outputs o WHERE o.instruction_id = \(id) AND o.attempt = t.attempt AND o.status = 'completed'),
                   (array_agg((t.details->>'progress_frame') || '/' || coalesce(t.details->>'progress_total', '?')) FILTER (WHERE t.event = 'lease_expired'))[1]
            FROM render_timeline t
            WHERE t.instruction_id = \(id) AND t.attempt IS NOT NULL
            GROUP BY t.attempt ORDER BY t.attempt
            """)
        return try rows.map { row in
            Attempt(attempt: try row.decode(Int.self, at: 0), workerID: try row.decode(String?.self, at: 1), leaseToken: try row.decode(UUID?.self, at: 2),
                    claimedAt: try row.decode(Date?.self, at: 3), outcome: try row.decode(String.self, at: 4), endedAt: try row.decode(Date?.self, at: 5),
                    reason: try row.decode(String?.self, at: 6), outputPath: try row.decode(String?.self, at: 7), lastProgress: try row.decode(String?.self, at: 8))
        }
    }
}

extension RenderStore {
    /// The render queue of one composition (SPEC §7.5): waiting, rendering, finished in the last
    /// 24 hours, and the mean queue time (claim − submit) of the instructions started in that window.
    package struct CompositionQueue: Sendable, Hashable, Codable {
        package var template: String
        package var composition: String
        package var pending: Int
        package var rendering: Int
        package var completed: Int
        package var failed: Int
        package var meanQueueSeconds: Double?
    }

    /// The render queue per template and composition, busiest first.
    package func compositionQueues() async throws -> [CompositionQueue] {
        let rows = try await pool.query("""
            SELECT template_name, composition,
                   count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'processing'),
                   count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'failed'),
                   avg(extract(epoch FROM started_at - created_at)) FILTER (WHERE started_at IS NOT NULL)
            FROM render_instructions
            WHERE status IN ('pending', 'processing', 'stale') OR updated_at > now() - interval '24 hours'
            GROUP BY template_name, composition
            ORDER BY count(*) FILTER (WHERE status IN ('pending', 'processing')) DESC, template_name, composition
            LIMIT 50
            """)
        return try rows.map { row in
            CompositionQueue(template: try row.decode(String.self, at: 0), composition: try row.decode(String.self, at: 1),
                             pending: try row.decode(Int.self, at: 2), rendering: try row.decode(Int.self, at: 3),
                             completed: try row.decode(Int.self, at: 4), failed: try row.decode(Int.self, at: 5),
                             meanQueueSeconds: try row.decode(Double?.self, at: 6))
        }
    }
}
