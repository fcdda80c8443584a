import Foundation
import HubPostgres

/// The maximum render time a template declares (`max_render_seconds`), and who declared it.
///
/// A render of the template is stopped after it — its process group killed, the attempt failed
/// with "the render exceeded template P/C's maximum render time of N s" — and retried like any
/// failed attempt, within the instruction's retries and backoff: a render that hung once gets
/// its slot back and another try; a template that always takes too long ends `failed` after its
/// retries and raises a `job_failed` notification. Where no template declares one, the worker's
/// limit holds (`HUB_MAX_RENDER_SECONDS`, `hub-worker --max-render-seconds`).
package struct TemplateRenderLimit: Sendable, Hashable {
    /// The limit in seconds (1…604800).
    package var seconds: Int
    /// Where it is declared: `its composition description` or `the graphics catalog`.
    package var declaredBy: String

    package init(seconds: Int, declaredBy: String) {
        self.seconds = seconds
        self.declaredBy = declaredBy
    }
}

extension RenderStore {
    /// The limit the template `template` (an AE project) declares for `composition`: the
    /// composition's description (`hubctl aep import`; per composition, or for all of a file's),
    /// else the graphics catalog's entry for the composition, else the catalog's own (for the
    /// catalog's project); nil when none does.
    package func templateRenderLimit(template: String, composition: String) async throws -> TemplateRenderLimit? {
        let rows = try await pool.query("""
            SELECT seconds, declared_by FROM (
                SELECT max_render_seconds AS seconds, 'its composition description' AS declared_by, 1 AS rank
                FROM aep_compositions WHERE project = \(template) AND name = \(composition) AND max_render_seconds IS NOT NULL
                UNION ALL
                SELECT (definition->>'max_render_seconds')::integer, 'the graphics catalog', 2
                FROM graphics_compositions
                WHERE project = \(template) AND name = \(composition) AND jsonb_typeof(definition->'max_render_seconds') = 'number'
                UNION ALL
                SELECT (settings->>'max_render_seconds')::integer, 'the graphics catalog', 3
                FROM graphics_catalog WHERE project = \(template) AND jsonb_typeof(settings->'max_render_seconds') = 'number'
            ) declared ORDER BY rank LIMIT 1
            """)
        guard let row = rows.first else { return nil }
        return TemplateRenderLimit(seconds: try row.decode(Int.self, at: 0), declaredBy: try row.decode(String.self, at: 1))
    }
}
