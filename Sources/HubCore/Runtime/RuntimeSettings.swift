extension HubSetting {
    package static let metricsHost = HubSetting(name: "HUB_METRICS_HOST", defaultValue: "127.0.0.1",
        summary: "address the /metrics endpoint of hub-worker and hub-sync --watch listens on (with --metrics-port)", isSecret: false)
    package static let logFormat = HubSetting(name: "HUB_LOG_FORMAT", defaultValue: "text",
        summary: "log lines on standard error: text, or json (one object per line, for log shippers)", isSecret: false)
}
