import Foundation
import HubPostgres
import HubTestSupport
import Testing

/// Records an issue for each broken invariant of the render queue (``RenderInvariants``): no
/// pending/stale row with `cancel_requested`, no processing row without a live lease, one completed
/// output per completed instruction and, in `outputDirectories`, exactly its file and no partial
/// file. Run it after every chaos and fault test.
func assertRenderInvariants(_ pool: PostgresPool, outputDirectories: [URL] = [],
                            sourceLocation: SourceLocation = #_sourceLocation) async throws {
    for violation in try await RenderInvariants.violations(pool, outputDirectories: outputDirectories) {
        Issue.record("render invariant broken: \(violation)", sourceLocation: sourceLocation)
    }
}
