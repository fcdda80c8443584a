/// A configuration variable the hub understands: its name, default, meaning and whether it is secret.
///
/// The list in ``HubSetting/all`` is the configuration reference (`hubctl config` prints it with
/// the effective values, secrets redacted; `Docs/configuration.md` describes it).
package struct HubSetting: Sendable, Hashable {
    /// The environment variable name.
    package var name: String
    /// The value used when nothing sets it (nil = required or unset).
    package var defaultValue: String?
    /// What it controls.
    package var summary: String
    /// Whether its value must never be shown (passwords, keys, URLs with passwords).
    package var isSecret: Bool

    package static let databaseURL = HubSetting(name: "HUB_DATABASE_URL", defaultValue: nil,
        summary: "PostgreSQL URL: postgres://user:password@host:port/database[?sslmode=…]", isSecret: true)
    package static let redisURL = HubSetting(name: "HUB_REDIS_URL", defaultValue: "redis://127.0.0.1:6379/0",
        summary: "Redis URL: redis://[:password@]host:port/db", isSecret: true)
    package static let databasePoolSize = HubSetting(name: "HUB_DATABASE_POOL_SIZE", defaultValue: "8",
        summary: "PostgreSQL connections per process", isSecret: false)
    package static let redisPoolSize = HubSetting(name: "HUB_REDIS_POOL_SIZE", defaultValue: "4",
        summary: "Redis connections per process (subscriptions use their own)", isSecret: false)
    package static let logLevel = HubSetting(name: "HUB_LOG_LEVEL", defaultValue: "info",
        summary: "trace, debug, info, notice, warning, error or critical", isSecret: false)
    package static let renderStream = HubSetting(name: "HUB_RENDER_STREAM", defaultValue: "render:queue",
        summary: "Redis stream that carries render dispatch signals", isSecret: false)
    package static let consumerGroup = HubSetting(name: "HUB_CONSUMER_GROUP", defaultValue: "ae-workers",
        summary: "consumer group of the render workers", isSecret: false)
    package static let leaseSeconds = HubSetting(name: "HUB_LEASE_SECONDS", defaultValue: "30",
        summary: "how long a claim lasts without a heartbeat", isSecret: false)
    package static let hunterIntervalSeconds = HubSetting(name: "HUB_HUNTER_INTERVAL_SECONDS", defaultValue: "30",
        summary: "Zombie Hunter period", isSecret: false)
    package static let renderBackend = HubSetting(name: "HUB_RENDER_BACKEND", defaultValue: "preview",
        summary: "nexrender, nexrender-server, aerender, command or preview", isSecret: false)
    package static let renderCommand = HubSetting(name: "HUB_RENDER_COMMAND", defaultValue: nil,
        summary: "executable of the command backend (called with JOB_FILE OUTPUT_PATH)", isSecret: false)
    package static let rendererTimeoutSeconds = HubSetting(name: "HUB_RENDERER_TIMEOUT_SECONDS", defaultValue: "120",
        summary: "a renderer silent this long is killed and the attempt fails", isSecret: false)
    package static let retryBaseSeconds = HubSetting(name: "HUB_RETRY_BASE_SECONDS", defaultValue: "60",
        summary: "retry delay = base × 2^retry_count", isSecret: false)
    package static let templateDirectory = HubSetting(name: "HUB_TEMPLATE_DIR", defaultValue: "templates",
        summary: "where <template>.aep projects live (nexrender, aerender)", isSecret: false)
    package static let nexrenderBinary = HubSetting(name: "HUB_NEXRENDER_BINARY", defaultValue: "nexrender-cli",
        summary: "the nexrender CLI the nexrender backend runs", isSecret: false)
    package static let aerenderBinary = HubSetting(name: "HUB_AERENDER_BINARY", defaultValue: "aerender",
        summary: "After Effects' aerender the aerender backend runs", isSecret: false)
    package static let outputDirectory = HubSetting(name: "HUB_OUTPUT_DIR", defaultValue: ".hub/output",
        summary: "where renders are written", isSecret: false)
    package static let serverAddress = HubSetting(name: "HUB_SERVER_ADDRESS", defaultValue: "127.0.0.1:8080",
        summary: "hub-server listen address", isSecret: false)
    package static let dashboardUsername = HubSetting(name: "HUB_DASHBOARD_USERNAME", defaultValue: nil,
        summary: "Basic Auth user of hub-server", isSecret: false)
    package static let dashboardPassword = HubSetting(name: "HUB_DASHBOARD_PASSWORD", defaultValue: nil,
        summary: "Basic Auth password of hub-server", isSecret: true)
    package static let apiKeys = HubSetting(name: "HUB_API_KEYS", defaultValue: nil,
        summary: "comma-separated API keys accepted by hub-server", isSecret: true)
    package static let quarantineCrashes = HubSetting(name: "HUB_QUARANTINE_CRASHES", defaultValue: "3",
        summary: "an instruction whose worker process crashed this many times while holding it is failed as quarantined (a kill from outside or a lost lease is not counted)", isSecret: false)
    package static let webhookURL = HubSetting(name: "HUB_WEBHOOK_URL", defaultValue: nil,
        summary: "webhook (Slack-compatible JSON) that notifications are posted to", isSecret: true)
    package static let webhookMinimumLevel = HubSetting(name: "HUB_WEBHOOK_MIN_LEVEL", defaultValue: "warning",
        summary: "lowest notification level posted to the webhook: info, warning, error or critical", isSecret: false)
    /// `HUB_PURGE_FINISHED_AFTER`: the age (a duration) after which hub-worker's daily pass removes finished instructions.
    package static let purgeFinishedAfter = HubSetting(name: "HUB_PURGE_FINISHED_AFTER", defaultValue: nil,
        summary: "hub-worker: once a day, remove render instructions finished longer ago than this duration (e.g. 30d) with their outputs, outbox and timeline rows, as hubctl purge does; unset: never", isSecret: false)
    /// `HUB_PURGE_FILES`: whether that daily pass also deletes their output files.
    package static let purgeFiles = HubSetting(name: "HUB_PURGE_FILES", defaultValue: "false",
        summary: "hub-worker: the daily purge (HUB_PURGE_FINISHED_AFTER) also deletes the removed instructions' output files under HUB_OUTPUT_DIR", isSecret: false)

    package static let syncGFXDirectories = HubSetting(name: "HUB_SYNC_GFX_DIRS", defaultValue: nil,
        summary: "hub-sync all: PokerGFX export folders, separated by ':'", isSecret: false)
    package static let syncWSOPDirectory = HubSetting(name: "HUB_SYNC_WSOP_DIR", defaultValue: nil,
        summary: "hub-sync all: the WSOP+ export folder", isSecret: false)
    package static let syncPremiumTemplate = HubSetting(name: "HUB_SYNC_PREMIUM_TEMPLATE", defaultValue: "premium_hand",
        summary: "template of the render instructions hub-sync creates for premium hands", isSecret: false)
    package static let syncPollSeconds = HubSetting(name: "HUB_SYNC_POLL_SECONDS", defaultValue: "10",
        summary: "hub-sync --watch: how often export folders are checked for new or grown files", isSecret: false)

    /// Every known setting, in documentation order.
    package static let all: [HubSetting] = [
        databaseURL, redisURL, databasePoolSize, redisPoolSize, logLevel, logFormat, metricsHost, renderStream, consumerGroup,
        leaseSeconds, hunterIntervalSeconds, renderBackend, renderCommand, rendererTimeoutSeconds, maxRenderSeconds, workerTags, retryBaseSeconds,
        templateDirectory, mediaRoots, mediaURLPrefixes, nexrenderBinary, nexrenderURL, nexrenderSecret, aerenderBinary,
        outputDirectory, serverAddress,
        dashboardUsername, dashboardPassword, apiKeys,
        syncGFXDirectories, syncWSOPDirectory, syncPremiumTemplate, syncPollSeconds, syncMaxFileBytes,
        quarantineCrashes, webhookURL, webhookMinimumLevel, purgeFinishedAfter, purgeFiles,
    ]
}
