import Foundation
import HubDriverSupport
import Logging

/// Logging set-up shared by the executables: swift-log to standard error at `HUB_LOG_LEVEL`, as
/// text or as one JSON object per line (`HUB_LOG_FORMAT=json` or `--log-format json`).
package enum HubLogging {
    /// The two line formats.
    package enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    /// Bootstraps swift-log once per process. The level comes from `HUB_LOG_LEVEL` in the
    /// environment or the `.env` file (default `info`); an unknown level falls back to `info`
    /// with a warning. The format comes from a `--log-format` argument, else `HUB_LOG_FORMAT`.
    package static func bootstrap(environment: [String: String] = ProcessInfo.processInfo.environment,
                                 arguments: [String] = CommandLine.arguments) {
        let dotEnv = try? DotEnv.load(path: ".env")
        let configured = environment[HubSetting.logLevel.name] ?? dotEnv?[HubSetting.logLevel.name]
            ?? HubSetting.logLevel.defaultValue ?? "info"
        let level = Logger.Level(rawValue: configured.lowercased())
        let formatText = argumentValue("--log-format", in: arguments) ?? environment[HubSetting.logFormat.name]
            ?? dotEnv?[HubSetting.logFormat.name] ?? "text"
        let format = Format(rawValue: formatText.lowercased())
        LoggingSystem.bootstrap { label in
            switch format ?? .text {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level ?? .info
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level ?? .info
                return handler
            }
        }
        if level == nil {
            Logger(label: "hub").warning("HUB_LOG_LEVEL '\(configured)' is not a level (trace, debug, info, notice, warning, error, critical); using info")
        }
        if format == nil {
            Logger(label: "hub").warning("log format '\(formatText)' is not text or json; using text")
        }
    }

    /// The value of `--name VALUE` or `--name=VALUE` in `arguments`.
    package static func argumentValue(_ name: String, in arguments: [String]) -> String? {
        for (index, argument) in arguments.enumerated() {
            if argument == name, index + 1 < arguments.count { return arguments[index + 1] }
            if argument.hasPrefix(name + "=") { return String(argument.dropFirst(name.count + 1)) }
        }
        return nil
    }
}

/// One JSON object per log line on standard error: `time`, `level`, `logger`, `message`, and the
/// metadata as string fields (`instruction_id`, `lease`, `worker`, `file`, `session`, …).
package struct JSONLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    package var metadataProvider: Logger.MetadataProvider?
    let label: String
    private static let lock = PThreadLocked(())

    package init(label: String) { self.label = label }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata { fields[key] = "\(value)" }
        for (key, value) in metadataProvider?.get() ?? [:] { fields[key] = "\(value)" }
        for (key, value) in event.metadata ?? [:] { fields[key] = "\(value)" }
        let line = Self.line(time: Date(), level: event.level, logger: label, message: "\(event.message)", fields: fields)
        Self.lock.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }

    /// One line (with its newline) for the given parts; keys sorted, so lines compare.
    package static func line(time: Date, level: Logger.Level, logger: String, message: String, fields: [String: String]) -> String {
        var object: [String: String] = fields
        object["time"] = Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(time)
        object["level"] = level.rawValue
        object["logger"] = logger
        object["message"] = message
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
