import Foundation
import Logging

/// Logging set-up shared by the executables: swift-log to standard error at `HUB_LOG_LEVEL`.
public enum HubLogging {
    /// Bootstraps swift-log once per process. The level comes from `HUB_LOG_LEVEL` in the
    /// environment or the `.env` file (default `info`); an unknown level falls back to `info`
    /// with a warning.
    public static func bootstrap(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let configured = environment[HubSetting.logLevel.name]
            ?? (try? DotEnv.load(path: ".env"))?[HubSetting.logLevel.name]
            ?? HubSetting.logLevel.defaultValue ?? "info"
        let level = Logger.Level(rawValue: configured.lowercased())
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level ?? .info
            return handler
        }
        if level == nil {
            Logger(label: "hub").warning("HUB_LOG_LEVEL '\(configured)' is not a level (trace, debug, info, notice, warning, error, critical); using info")
        }
    }
}
