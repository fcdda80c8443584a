import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

extension JobsCommand {
    typealias Purge = PurgeCommand<Listed>

    /// `hubctl jobs purge` (and `hubctl purge`, the spelling of issue 16): retention.
    struct PurgeCommand<Spelling: CommandSpelling>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                commandName: "purge",
                abstract: "Remove finished render instructions (completed, failed, cancelled) with their outputs, outbox and timeline rows; --dry-run counts only.",
                discussion: """
                    Removes instructions finished longer ago than --finished-before, in batches of one short \
                    transaction each (--batch-size), skipping rows someone else holds; running and pending \
                    instructions are never touched, and claims never wait on it. Prints the rows removed per table.
                    Output files are deleted only with --files: regular files inside the output directory \
                    (--output-dir, default HUB_OUTPUT_DIR) whose instruction is removed and that no remaining \
                    instruction shares (render-cache hits); links are not followed, a missing file is counted.
                    hub-worker runs the same purge once a day when HUB_PURGE_FINISHED_AFTER is set.
                    Examples:
                      hubctl jobs purge --finished-before 30d --dry-run
                      hubctl jobs purge --finished-before 30d --files
                    """
            ).spelled(Spelling.self)
        }
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("finished-before"),
                help: ArgumentHelp("Remove instructions finished longer ago than this: 30d, 12h, 90m (a bare number is seconds).",
                                   valueName: DurationOption.valueName),
                transform: DurationOption.seconds)
        var finishedBefore: Double
        @Flag(name: .customLong("dry-run"), help: "Count what would be removed; remove nothing.") var dryRun = false
        @Flag(help: "Also delete the removed instructions' output files (only under the output directory).") var files = false
        @Option(name: .customLong("output-dir"), help: "The output directory files are deleted under (default: HUB_OUTPUT_DIR).")
        var outputDir: String?
        @Option(name: .customLong("batch-size"), help: "Instructions per transaction (1…100000).") var batchSize = 5000
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard finishedBefore > 0 else { throw ValidationError("--finished-before must be a positive duration such as 30d") }
            guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1…100000") }
            if outputDir != nil, !files { throw ValidationError("--output-dir only counts with --files") }
        }

        func run() async throws {
            let cutoff = Date().addingTimeInterval(-finishedBefore)
            let report = try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                let root = files ? URL(fileURLWithPath: outputDir ?? clients.configuration.value(.outputDirectory) ?? ".hub/output") : nil
                return try await RenderPurge(pool: clients.database, batchSize: batchSize).run(finishedBefore: cutoff, dryRun: dryRun, outputRoot: root)
            }
            if json {
                print(try JSONOutput.encode(report))
                return
            }
            let r = report.removed
            let when = ISO8601DateFormatter().string(from: report.finishedBefore)
            print(TextTable.render([
                ["TABLE", dryRun ? "WOULD REMOVE" : "REMOVED"],
                ["render_instructions", String(r.instructions)], ["render_outputs", String(r.outputs)],
                ["render_outbox", String(r.outbox)], ["render_timeline", String(r.timeline)],
                ["render_failure_notices", String(r.failureNotices)],
            ]))
            if let f = report.files {
                if dryRun {
                    print("files: \(f.candidates) output file(s) recorded would be looked at")
                } else {
                    print("files: \(f.deleted) deleted (\(f.deletedBytes) bytes), \(f.missing) missing, \(f.stillUsed) kept (shared with a remaining instruction), \(f.outsideRoot) outside the output directory, \(f.notRegular) not regular files, \(f.failed) failed")
                    for problem in f.problems { print("  \(problem)") }
                }
            }
            print(dryRun
                ? "dry run: \(r.instructions) instruction(s) finished before \(when) would be removed; nothing was removed"
                : "removed \(r.instructions) instruction(s) finished before \(when) in \(report.batches) batch(es), \(String(format: "%.1f", report.seconds)) s")
        }
    }
}
