import Foundation
import HubPostgres

/// The result of one attempt at a render instruction: one row of `render_outputs`, as the HTTP
/// API and the dashboard show it. An instruction has at most one ``Status-swift.enum/completed``
/// output (a unique index enforces it), and one ``Status-swift.enum/failed`` output per failed
/// attempt.
public struct RenderOutput: Sendable, Codable, Hashable {
    /// How an attempt ended.
    public enum Status: String, Sendable, Codable, Hashable, CaseIterable {
        /// The attempt produced the file at ``RenderOutput/outputPath``.
        case completed
        /// The attempt failed; ``RenderOutput/errorMessage`` says why.
        case failed
    }

    /// The instruction this attempt belongs to.
    public var instructionID: Int64
    /// The attempt number (1 for the first claim).
    public var attempt: Int
    /// How the attempt ended.
    public var status: Status
    /// Where the rendered file is (on the machine that rendered it, or the shared output root).
    public var outputPath: String?
    /// The rendered file's size in bytes.
    public var fileSize: Int64?
    /// How many frames were rendered.
    public var frameCount: Int?
    /// Why the attempt failed.
    public var errorMessage: String?
    /// Whether the file was reused from an earlier render of the same data (no render ran).
    public var cacheHit: Bool
    /// When the attempt ended.
    public var completedAt: Date
    /// How long the render took, in milliseconds.
    public var renderMilliseconds: Int?

    /// Creates an output value (the hub's workers write these; a consumer builds one in tests).
    public init(instructionID: Int64, attempt: Int, status: Status, outputPath: String? = nil, fileSize: Int64? = nil,
                frameCount: Int? = nil, errorMessage: String? = nil, cacheHit: Bool = false, completedAt: Date,
                renderMilliseconds: Int? = nil) {
        self.instructionID = instructionID
        self.attempt = attempt
        self.status = status
        self.outputPath = outputPath
        self.fileSize = fileSize
        self.frameCount = frameCount
        self.errorMessage = errorMessage
        self.cacheHit = cacheHit
        self.completedAt = completedAt
        self.renderMilliseconds = renderMilliseconds
    }

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
    package static func list(instruction id: Int64, pool: PostgresPool) async throws -> [RenderOutput] {
        let rows = try await pool.query("""
            SELECT instruction_id, attempt, status, output_path, file_size, frame_count, error_message, cache_hit,
                   completed_at, render_ms
            FROM render_outputs WHERE instruction_id = \(id) ORDER BY attempt, id
            """)
        return try rows.map { row in
            let status = try row.decode(String.self, at: 2)
            guard let known = Status(rawValue: status) else {
                throw HubError(.conflict, "render output of instruction \(id) has status '\(status)', which this build does not know: upgrade the hub")
            }
            return RenderOutput(instructionID: try row.decode(Int64.self, at: 0), attempt: try row.decode(Int.self, at: 1),
                               status: known, outputPath: try row.decode(String?.self, at: 3),
                               fileSize: try row.decode(Int64?.self, at: 4), frameCount: try row.decode(Int?.self, at: 5),
                               errorMessage: try row.decode(String?.self, at: 6), cacheHit: try row.decode(Bool.self, at: 7),
                               completedAt: try row.decode(Date.self, at: 8), renderMilliseconds: try row.decode(Int?.self, at: 9))
        }
    }
}

/// The former name of ``RenderOutput``.
package typealias RenderOutputRecord = RenderOutput
