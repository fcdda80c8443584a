import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

/// `hubctl`: the operator's command line (SPEC §8.2), grouped by noun.
struct HubCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hubctl",
        abstract: "Operate the Automation Hub: migrations, status, render jobs, recovery, monitoring, players, cue sheets, AEP metadata and graphics.",
        discussion: """
            Configuration comes from flags, then the environment, then a .env file in the working \
            directory (HUB_DATABASE_URL, HUB_REDIS_URL, …; `hubctl config` lists them).
            Every command that prints a result takes --json (snake_case keys). Durations are written \
            90s, 5m, 2h or 1d; a bare number is seconds.
            Older spellings still work: hubctl retry|bulk-retry|priority|cancel|reap (now under jobs), \
            hubctl render submit (jobs submit), hubctl purge (jobs purge), hubctl events list|resolve, services and watch (now under monitor).
            Shell completions: hubctl --generate-completion-script bash|zsh|fish.
            Exit status: 0 success, 1 failure, 2 usage error, 3 not found.
            """,
        version: HubVersion.current,
        subcommands: [
            StatusCommand.self, ConfigCommand.self, MigrateCommand.self, JobsCommand.self, MonitorCommand.self,
            HandsCommand.self, PlayersCommand.self, CueCommand.self, AEPCommand.self, GraphicsCommand.self, DeliveryCommand.self,
            // The flat spellings from before the nouns, hidden: scripts and SPEC §8 use them.
            RenderCommand.self, JobsCommand.RetryCommand<OldSpelling>.self, JobsCommand.BulkRetryCommand<OldSpelling>.self,
            JobsCommand.PriorityCommand<OldSpelling>.self, JobsCommand.CancelCommand<OldSpelling>.self, JobsCommand.ReapCommand<OldSpelling>.self,
            JobsCommand.PurgeCommand<OldSpelling>.self,
            EventsAlias.self, MonitorCommand.ServicesCommand<OldSpelling>.self, MonitorCommand.WatchCommand<OldSpelling>.self,
        ]
    )
}

@main
enum HubCtlMain {
    static func main() async {
        HubLogging.bootstrap()
        await CommandRunner.run(HubCtl.self, program: "hubctl")
    }
}
