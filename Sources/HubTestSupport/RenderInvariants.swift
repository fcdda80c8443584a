import Foundation
import HubPostgres

/// The invariants of the render queue that every fault must leave intact (issue 13), checked
/// after each chaos and fault test:
///
/// - no `pending` or `stale` row with `cancel_requested` (no claim takes it, a retry refuses it:
///   it would strand for ever);
/// - no `processing` row without a live lease (a worker holds it and heartbeats, or the hunter
///   has taken it back);
/// - every `completed` instruction has exactly one completed output, and no unfinished one has
///   any;
/// - in each output directory the test names: exactly one file per completed instruction — the
///   file its completed output names, on disk — no other visible file (the output of an attempt
///   whose completion was refused or never recorded) and no temporary `.partial-*` file.
///
/// The test targets wrap ``violations(_:outputDirectories:)`` in an `assertRenderInvariants`
/// that records each violation as an issue.
public enum RenderInvariants {
    /// What is wrong, one sentence per violation (empty when every invariant holds).
    public static func violations(_ pool: PostgresPool, outputDirectories: [URL] = []) async throws -> [String] {
        var found: [String] = []
        let stranded = try await pool.query("""
            SELECT id, status FROM render_instructions
            WHERE status IN ('pending', 'stale') AND cancel_requested ORDER BY id
            """)
        if !stranded.isEmpty {
            let list = try stranded.map { "\(try $0.decode(Int64.self, at: 0)) (\(try $0.decode(String.self, at: 1)))" }
            found.append("instructions no claim can take (pending/stale with cancel_requested): \(list.joined(separator: ", "))")
        }
        let leaseless = try await pool.query("""
            SELECT id, coalesce(worker_id, '?') FROM render_instructions
            WHERE status = 'processing' AND (lease_token IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= now())
            ORDER BY id
            """)
        if !leaseless.isEmpty {
            let list = try leaseless.map { "\(try $0.decode(Int64.self, at: 0)) (worker \(try $0.decode(String.self, at: 1)))" }
            found.append("processing instructions without a live lease: \(list.joined(separator: ", "))")
        }
        let outputCounts = try await pool.query("""
            SELECT i.id, i.status, (SELECT count(*) FROM render_outputs o WHERE o.instruction_id = i.id AND o.status = 'completed') AS n
            FROM render_instructions i
            WHERE (i.status = 'completed') <> EXISTS (SELECT 1 FROM render_outputs o WHERE o.instruction_id = i.id AND o.status = 'completed')
               OR (SELECT count(*) FROM render_outputs o WHERE o.instruction_id = i.id AND o.status = 'completed') > 1
            ORDER BY i.id
            """)
        if !outputCounts.isEmpty {
            let list = try outputCounts.map {
                "\(try $0.decode(Int64.self, at: 0)) (\(try $0.decode(String.self, at: 1)), \(try $0.decode(Int.self, at: 2)) completed outputs)"
            }
            found.append("instructions whose completed outputs do not match their status (one for a completed instruction, none otherwise): \(list.joined(separator: ", "))")
        }
        guard !outputDirectories.isEmpty else { return found }

        let directories = outputDirectories.map { $0.standardizedFileURL.path }
        func inDirectories(_ path: String) -> Bool {
            directories.contains { URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path == $0 }
        }
        // The files the completed outputs name (a cache hit names another instruction's file).
        let rows = try await pool.query("""
            SELECT o.instruction_id, o.output_path, o.cache_hit FROM render_outputs o
            JOIN render_instructions i ON i.id = o.instruction_id
            WHERE o.status = 'completed' AND i.status = 'completed'
            """)
        var owners: [String: [Int64]] = [:]
        var referenced: Set<String> = []
        for row in rows {
            let id = try row.decode(Int64.self, at: 0)
            let path = URL(fileURLWithPath: try row.decode(String.self, at: 1)).standardizedFileURL.path
            guard inDirectories(path) else { continue }
            referenced.insert(path)
            if !(try row.decode(Bool.self, at: 2)) { owners[path, default: []].append(id) }
            if !FileManager.default.fileExists(atPath: path) {
                found.append("the output of completed instruction \(id) is not on disk: \(path)")
            }
        }
        for (path, ids) in owners where ids.count > 1 {
            found.append("\(ids.count) completed instructions rendered to the same file \(path): \(ids.sorted())")
        }
        for directory in directories {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            let partials = names.filter { $0.hasPrefix(".partial-") }.sorted()
            if !partials.isEmpty {
                found.append("temporary output files left in \(directory): \(partials.joined(separator: ", "))")
            }
            var isDirectory: ObjCBool = false
            let unowned = names.filter { name in
                guard !name.hasPrefix(".") else { return false }
                let path = URL(fileURLWithPath: directory).appendingPathComponent(name).standardizedFileURL.path
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return false }
                return !referenced.contains(path)
            }.sorted()
            if !unowned.isEmpty {
                found.append("files in \(directory) that no completed instruction owns (a second output, or the output of a refused completion): \(unowned.joined(separator: ", "))")
            }
        }
        return found
    }
}
