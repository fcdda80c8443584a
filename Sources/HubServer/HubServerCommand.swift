import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore
import HubDriverSupport
import HubServerCore
import Hummingbird
import Logging

/// `hub-server`: the monitoring and admin HTTP API, the WebSocket live feed and the dashboard page
/// (SPEC §8.3).
struct HubServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub-server",
        abstract: "Serve the HTTP API, the WebSocket live feed and the dashboard.",
        discussion: """
            Listens on HUB_SERVER_ADDRESS (default 127.0.0.1:8080; --address and --port override). \
            Every route but /api/health needs Basic Auth (HUB_DASHBOARD_USERNAME and \
            HUB_DASHBOARD_PASSWORD) or an X-API-Key header (HUB_API_KEYS). The dashboard is at /. \
            SIGTERM or SIGINT closes the listener, lets open requests finish and exits 0.
            """,
        version: HubVersion.current
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Listen host, e.g. 127.0.0.1 or 0.0.0.0 (default: the host of HUB_SERVER_ADDRESS).") var address: String?
    @Option(help: "Listen port; 0 picks a free one (default: the port of HUB_SERVER_ADDRESS).") var port: Int?

    func validate() throws {
        if let port, !(0...65_535).contains(port) { throw ValidationError("--port must be 0…65535") }
        if let address, address.isEmpty { throw ValidationError("--address must not be empty") }
    }

    func run() async throws {
        let configuration = try global.configuration()
        var settings = try HubServerSettings(configuration: configuration)
        if let address { settings.host = address }
        if let port { settings.port = port }
        let host = settings.host
        let server = PThreadLocked<HubServer?>(nil)
        var options = HubRuntime.Options(program: HubServer.program)
        options.mode = { server.withLock { $0 }?.registryMode }
        options.heartbeatInterval = settings.heartbeatInterval
        try await HubRuntime.run(options, configuration: configuration, logger: Logger(label: "hub.server")) { runtime in
            let hub = HubServer(clients: runtime.clients, settings: settings, logger: runtime.logger)
            server.withLock { $0 = hub }
            let app = hub.makeApplication(heartbeat: false) { port in
                // One line on stdout that scripts wait for and parse.
                FileHandle.standardOutput.write(Data("hub-server listening on http://\(host):\(port)/\n".utf8))
            }
            return [app]
        }
    }
}

@main
enum HubServerMain {
    static func main() async {
        HubLogging.bootstrap()
        await CommandRunner.run(HubServerCommand.self, program: "hub-server")
    }
}
