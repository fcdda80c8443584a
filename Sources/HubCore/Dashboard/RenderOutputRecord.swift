import Foundation
import HubPostgres

/// One attempt's row of `render_outputs`, as the HTTP API and the dashboard show it.
public struct RenderOutputRecord: Sendable, Codable, Hashable {
    public var instructionID: Int64
    public var attempt: Int
    public var status: String
    public var outputPath: String?
    public var fileSize: Int64?
    public var frameCount: Int?
    public var errorMessage: String?
    public var cacheHit: Bool
    public var completedAt: Date
    public var renderMilliseconds: Int?

    enum CodingKeys: String, CodingKey {
        case attempt, status
        case instructionID = "instruction_id"
        case outputPath = "output_path"
        case fileSize = "file_size"
        case frameCount = "frame_count"
        case errorMessage = "error_message"
        case cacheHit = "cache_hit"
        case completedAt = "completed_at"
        case renderMilliseconds = "render_ms"
    }

    /// Every attempt's output row of instruction `id`, oldest first (empty while none finished).
    public static func list(instruction id: Int64, pool: PostgresPool) async throws -> [RenderOutputRecord] {
        let rows = try await pool.query("""
            SELECT instruction_id, attempt, status, output_path, file_size, frame_count, error_message, cache_hit,
                   completed_at, render_ms
            FROM render_outputs WHERE instruction_id = \(id) ORDER BY attempt, id
            """)
        return try rows.map { row in
            RenderOutputRecord(instructionID: try row.decode(Int64.self, at: 0), attempt: try row.decode(Int.self, at: 1),
                               status: try row.decode(String.self, at: 2), outputPath: try row.decode(String?.self, at: 3),
                               fileSize: try row.decode(Int64?.self, at: 4), frameCount: try row.decode(Int?.self, at: 5),
                               errorMessage: try row.decode(String?.self, at: 6), cacheHit: try row.decode(Bool.self, at: 7),
                               completedAt: try row.decode(Date.self, at: 8), renderMilliseconds: try row.decode(Int?.self, at: 9))
        }
    }
}
