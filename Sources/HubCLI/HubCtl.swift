import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

/// `hubctl`: the operator's command line (SPEC §8.2).
struct HubCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hubctl",
        abstract: "Operate the Automation Hub: migrations, status, render jobs, recovery, players, cue sheets and AEP metadata.",
        discussion: """
            Configuration comes from flags, then the environment, then a .env file in the working \
            directory (HUB_DATABASE_URL, HUB_REDIS_URL, …; `hubctl config` lists them).
            Exit status: 0 success, 1 failure, 2 usage error, 3 not found.
            """,
        version: HubVersion.current,
        subcommands: [MigrateCommand.self, StatusCommand.self, ConfigCommand.self, RenderCommand.self, JobsCommand.self, ReapCommand.self,
                      RetryCommand.self, BulkRetryCommand.self, PriorityCommand.self, CancelCommand.self, EventsCommand.self,
                      MonitorCommand.self, ServicesCommand.self, WatchCommand.self, PlayersCommand.self, CueCommand.self, AEPCommand.self, GraphicsCommand.self]
    )
}

@main
enum HubCtlMain {
    static func main() async {
        HubLogging.bootstrap()
        await CommandRunner.run(HubCtl.self, program: "hubctl")
    }
}
