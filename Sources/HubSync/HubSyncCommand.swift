import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

/// `hub-sync`: imports PokerGFX and WSOP+ exports, from cron (one shot) or as a daemon (`--watch`).
struct HubSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub-sync",
        abstract: "Import PokerGFX JSON and WSOP+ exports into the hub's database and grade the hands.",
        discussion: """
            Each file is imported in its own transaction; a bad file is skipped with its reason in the \
            sync history (`hub-sync status`) and the others go on. Overlapping runs of the same source \
            never import twice: the second one is skipped. Settings come from flags, the environment \
            and .env (HUB_DATABASE_URL, HUB_REDIS_URL, HUB_SYNC_GFX_DIRS, HUB_SYNC_WSOP_DIR, …).
            Exit status: 0 when every file imported or was unchanged, 1 when anything failed, 2 usage \
            error, 3 a folder does not exist.
            """,
        version: HubVersion.current,
        subcommands: [GFXCommand.self, WSOPCommand.self, AllCommand.self, StatusCommand.self]
    )
}

/// Options of every importing subcommand.
struct RunOptions: ParsableArguments {
    @Flag(help: "Keep running: import new or grown exports as they appear, and each source again when its interval passes.")
    var watch = false
    @Option(name: .customLong("poll-seconds"),
            help: ArgumentHelp("With --watch: how often folders are checked, 1s…1h (default HUB_SYNC_POLL_SECONDS or 10; a bare number is seconds).",
                               valueName: DurationOption.valueName),
            transform: DurationOption.wholeSeconds)
    var pollSeconds: Int?
    @Option(name: .customLong("metrics-port"),
            help: "With --watch: serve /metrics (Prometheus; credentials as hub-server's) on this port; 0 picks a free one (address HUB_METRICS_HOST).")
    var metricsPort: Int?
    @Option(name: .customLong("grace"), help: ArgumentHelp("With --watch: how long a stopping daemon lets a running import finish its started files before it is cancelled (a bare number is seconds).",
                               valueName: DurationOption.valueName),
            transform: DurationOption.wholeSeconds)
    var graceSeconds: Int = 60
    /// ``graceSeconds`` as a duration.
    var grace: Duration { .seconds(graceSeconds) }
    @Option(help: "GFX files imported at once.") var concurrency = 4
    @Flag(help: "Print the result as JSON.") var json = false
    @Flag(name: .customLong("no-progress"), help: "No progress output on standard error.") var noProgress = false

    func validate() throws {
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be 1…64") }
        if let metricsPort, !(0...65_535).contains(metricsPort) { throw ValidationError("--metrics-port must be 0…65535") }
        if !(1...3600).contains(graceSeconds) { throw ValidationError("--grace must be 1s…1h") }
        if let pollSeconds, !(1...3600).contains(pollSeconds) { throw ValidationError("--poll-seconds must be 1s…1h (1…3600 seconds)") }
    }
}

struct GFXCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gfx",
        abstract: "Import the PokerGFX exports under the given folders (recursively) and grade their hands."
    )
    @OptionGroup var global: GlobalOptions
    @OptionGroup var run: RunOptions
    @Option(help: "The feature table these folders belong to (default: the first folder below each given one).") var table: String?
    @Argument(help: "Folders (or files) to scan.") var directories: [String]

    func validate() throws {
        guard !directories.isEmpty else { throw ValidationError("name at least one folder to scan") }
    }

    func run() async throws {
        try await SyncSession(global: global, options: run).execute(gfx: directories, table: table, wsop: nil, full: false)
    }
}

struct WSOPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wsop",
        abstract: "Import a WSOP+ export folder (Events.json, tournament_data.csv, Players.json, ChipCounts.csv, Standings.csv, payout_structure.csv, broadcast_schedule.csv; see Docs/wsop-import.md)."
    )
    @OptionGroup var global: GlobalOptions
    @OptionGroup var run: RunOptions
    @Argument(help: "The export folder (export folders below it are imported too).") var directory: String

    func run() async throws {
        try await SyncSession(global: global, options: run).execute(gfx: [], table: nil, wsop: directory, full: false)
    }
}

struct AllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "The full sync: PokerGFX and WSOP+ in parallel, then player linking, then grading and render instructions for premium hands."
    )
    @OptionGroup var global: GlobalOptions
    @OptionGroup var run: RunOptions
    @Option(name: .customLong("gfx"), help: "A PokerGFX folder (repeatable; default HUB_SYNC_GFX_DIRS).") var gfx: [String] = []
    @Option(name: .customLong("wsop"), help: "The WSOP+ export folder (default HUB_SYNC_WSOP_DIR).") var wsop: String?
    @Option(help: "The feature table of the PokerGFX folders (default: the folder names).") var table: String?
    @Option(help: "Template of the premium-hand render instructions (default HUB_SYNC_PREMIUM_TEMPLATE).") var template: String?
    @Flag(name: .customLong("no-render"), help: "Grade, but create no render instructions.") var noRender = false

    func run() async throws {
        let configuration = try global.configuration()
        let gfxDirectories = gfx.isEmpty
            ? (configuration.value(.syncGFXDirectories) ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty } : gfx
        let wsopDirectory = wsop ?? configuration.value(.syncWSOPDirectory).flatMap { $0.isEmpty ? nil : $0 }
        guard !gfxDirectories.isEmpty || wsopDirectory != nil else {
            throw ValidationError("nothing to sync: give --gfx DIR and/or --wsop DIR (or set HUB_SYNC_GFX_DIRS / HUB_SYNC_WSOP_DIR)")
        }
        var session = SyncSession(global: global, options: run)
        session.render = !noRender
        session.template = template ?? configuration.value(.syncPremiumTemplate) ?? "premium_hand"
        try await session.execute(gfx: gfxDirectories, table: table, wsop: wsopDirectory, full: true)
    }
}

@main
enum HubSyncMain {
    static func main() async {
        HubLogging.bootstrap()
        await CommandRunner.run(HubSyncCommand.self, program: "hub-sync")
    }
}
