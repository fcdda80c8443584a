import ArgumentParser
import HubCommandSupport
import HubCore

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the effective configuration (secrets redacted) and where each value came from."
    )

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON: one object per variable (secrets redacted as in the table).") var json = false

    /// One variable as `--json` prints it.
    struct Entry: Encodable {
        var variable: String
        var value: String?
        var source: String?
        var meaning: String

        /// Unset values and sources are `null`, not left out.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(variable, forKey: .variable)
            try container.encode(value, forKey: .value)
            try container.encode(source, forKey: .source)
            try container.encode(meaning, forKey: .meaning)
        }

        enum CodingKeys: String, CodingKey { case variable, value, source, meaning }
    }

    func run() async throws {
        let configuration = try global.configuration()
        if json {
            print(try JSONOutput.encode(HubSetting.all.map { setting in
                Entry(variable: setting.name, value: configuration.redactedValue(setting),
                      source: configuration.source(setting)?.rawValue, meaning: setting.summary)
            }))
            return
        }
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
