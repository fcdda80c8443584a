import ArgumentParser
import HubCommandSupport
import HubCore

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the effective configuration (secrets redacted) and where each value came from."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let configuration = try global.configuration()
        var table = [["VARIABLE", "VALUE", "SOURCE", "MEANING"]]
        for setting in HubSetting.all {
            table.append([
                setting.name,
                configuration.redactedValue(setting) ?? "(unset)",
                configuration.source(setting)?.rawValue ?? "-",
                setting.summary,
            ])
        }
        print(TextTable.render(table))
    }
}
