import Foundation
import HTTPTypes
import HubCore
import HubPostgres
import HubRedis
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle

/// Where hub-server listens and how it protects itself.
package struct HubServerSettings: Sendable {
    /// Listen host (`127.0.0.1`, `0.0.0.0`, …).
    package var host: String = "127.0.0.1"
    /// Listen port; 0 picks a free one.
    package var port: Int = 8080
    /// Who may call it.
    package var credentials: ServerCredentials
    /// Events a WebSocket client may have queued before it is disconnected.
    package var clientBufferLimit = 256
    /// Failed sign-ins per address within ``throttleWindow`` before further failed ones get 429
    /// (a correct credential always passes).
    package var throttleFailures = 10
    /// The throttle's window.
    package var throttleWindow: Duration = .seconds(60)
    /// How long a refused attempt from a throttled address is held before its 429 is sent.
    package var throttleDelay: Duration = .seconds(1)
    /// How often the server heartbeats in `service_registry`.
    package var heartbeatInterval: Duration = .seconds(5)

    /// Settings with the given credentials and the defaults.
    /// Where notifications are posted (`HUB_WEBHOOK_URL`), read once at start-up.
    package var webhook: WebhookSettings?

    package init(credentials: ServerCredentials) { self.credentials = credentials }

    /// Reads `HUB_SERVER_ADDRESS` (`host:port`) and the credentials.
    /// - Throws: ``HubError`` `.configuration`.
    package init(configuration: HubConfiguration) throws {
        self.init(credentials: try ServerCredentials(configuration: configuration))
        webhook = try WebhookSettings(configuration: configuration)
        if let address = configuration.value(.serverAddress) {
            (host, port) = try Self.parseAddress(address, variable: HubSetting.serverAddress.name)
        }
    }

    /// Splits `host:port`.
    package static func parseAddress(_ text: String, variable: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65_535).contains(port), colon != text.startIndex
        else { throw HubError(.configuration, "\(variable) must be host:port (e.g. 127.0.0.1:8080), not '\(text)'") }
        return (String(text[..<colon]), port)
    }
}

/// hub-server: the monitoring and admin HTTP API, the WebSocket live feed and the dashboard page
/// (SPEC §8.3), over the HubCore queries and actions.
///
/// Every route is registered on one router after ``ErrorMiddleware``, ``AuthMiddleware`` and
/// ``RequestOriginMiddleware``, so every route but ``publicPaths`` needs credentials, WebSocket
/// upgrades included, and no browser on another site can change anything with the operator's
/// cached credentials.
package final class HubServer: Sendable {
    /// Paths answered without credentials.
    package static let publicPaths: Set<String> = ["/api/health"]
    /// The header that carries an API key.
    package static let apiKeyHeader = HTTPField.Name("X-API-Key")!
    /// The program name in health reports and the service registry.
    package static let program = "hub-server"

    package let clients: HubClients
    package let settings: HubServerSettings
    package let metrics: ServerMetrics
    package let events: EventHub
    package let tokens: SessionTokens
    package let throttle: FailureThrottle
    package let queue: RenderQueue
    /// This process's id in `service_registry`.
    package let instanceID: String
    /// The dashboard's maintained aggregate of finished instructions (one per process).
    package let rollup = FinishedRollup()
    let logger: Logger

    /// Wires the server on `clients`.
    package init(clients: HubClients, settings: HubServerSettings, logger: Logger = Logger(label: "hub.server")) {
        self.clients = clients
        self.settings = settings
        self.logger = logger
        self.metrics = ServerMetrics()
        self.events = EventHub(redis: clients.redis, metrics: metrics, clientBufferLimit: settings.clientBufferLimit)
        self.tokens = SessionTokens()
        self.throttle = FailureThrottle(maxFailures: settings.throttleFailures, window: settings.throttleWindow,
                                        delay: settings.throttleDelay)
        self.instanceID = HubInstance.registryID(program: Self.program)
        self.queue = clients.renderQueue(source: instanceID)
    }

    /// The router with every route. Routes are added by area (`HubServer+<Area>.swift`); a new
    /// area adds its `add…Routes` call here, after the middlewares.
    package func buildRouter() -> Router<HubRequestContext> {
        let router = Router(context: HubRequestContext.self)
        let routeMethods = RouteMethods()
        router.add(middleware: ErrorMiddleware(routes: routeMethods))
        router.add(middleware: AuthMiddleware(credentials: settings.credentials, tokens: tokens, throttle: throttle,
                                              publicPaths: Self.publicPaths, tokenQueryPath: "/ws/dashboard"))
        router.add(middleware: RequestOriginMiddleware(webSocketPath: "/ws/dashboard"))
        addMonitoringRoutes(to: router)
        addRenderRoutes(to: router)
        addActionRoutes(to: router)
        addEventRoutes(to: router)
        addWSOPRoutes(to: router)
        addSyncRoutes(to: router)
        addPlayerRoutes(to: router)
        addCueRoutes(to: router)
        addNotificationRoutes(to: router)
        addGraphicsRoutes(to: router)
        addHandRoutes(to: router)
        addLiveFeedRoutes(to: router)
        addDashboardPageRoutes(to: router)
        routeMethods.load(router.routes)
        return router
    }

    /// The registry mode: `live` while the live feed is subscribed, `no-live-feed` while Redis is
    /// unreachable.
    package var registryMode: String { events.isSubscribed ? "live" : "no-live-feed" }

    /// The application: HTTP/1.1 with WebSocket upgrade on the same router, with the live feed
    /// (and, with `heartbeat`, the registry heartbeat) as services. `hub-server` runs it under
    /// ``HubRuntime``, which heartbeats itself; tests and benchmarks run it on its own.
    package func makeApplication(heartbeat: Bool = true, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = buildRouter()
        var services: [any Service] = [events]
        if heartbeat {
            services.append(RegistryHeartbeat(registry: ServiceRegistry(pool: clients.database), id: instanceID, kind: Self.program,
                                              interval: settings.heartbeatInterval, mode: { [events] in events.isSubscribed ? "live" : "no-live-feed" },
                                              logger: logger))
        }
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(
                webSocketRouter: router,
                configuration: .init(ws: .init(maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(30))))
            ),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: Self.program),
            services: services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }
}
