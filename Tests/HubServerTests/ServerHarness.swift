import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore

/// A hub-server on a scratch database and the shared test Redis, started in-process on a free
/// port (`.live`: a real listener, so WebSocket clients and browsers can connect).
struct ServerHarness {
    static let username = "operator"
    static let password = "correct-horse-battery"
    static let apiKeys = ["key-alpha-0123456789", "key-beta-9876543210"]

    static var basic: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    static var authorized: HTTPFields { [.authorization: basic] }

    let clients: HubClients
    let server: HubServer

    /// Builds the server; `environment` adds settings (sync folders, …), `adjust` changes server
    /// settings (buffer sizes, throttle) before it starts.
    static func make(redisURL: String? = nil, environment: [String: String] = [:],
                     adjust: (inout HubServerSettings) -> Void = { _ in }) async throws -> ServerHarness {
        let databaseURL = try await scratchDatabaseURL()
        let endpoints = try await TestServices.endpoints()
        let configuration = try HubConfiguration(environment: [
            "HUB_DATABASE_URL": databaseURL,
            "HUB_REDIS_URL": redisURL ?? endpoints.redisURL,
            "HUB_DASHBOARD_USERNAME": username,
            "HUB_DASHBOARD_PASSWORD": password,
            "HUB_API_KEYS": apiKeys.joined(separator: ","),
            "HUB_SERVER_ADDRESS": "127.0.0.1:0",
        ].merging(environment) { _, added in added }, dotEnvPath: nil)
        let clients = try HubClients(configuration: configuration)
        try await Migrator(pool: clients.database).up()
        var settings = try HubServerSettings(configuration: configuration)
        adjust(&settings)
        return ServerHarness(clients: clients, server: HubServer(clients: clients, settings: settings))
    }

    /// Runs `body` against the live server, then closes everything.
    func run<T: Sendable>(waitForLiveFeed: Bool = true, _ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        let app = server.makeApplication()
        do {
            let value = try await app.test(.live) { client in
                if waitForLiveFeed {
                    try await waitUntil("the live feed subscribed to Redis") { server.events.isSubscribed }
                }
                return try await body(client)
            }
            await clients.shutdown()
            return value
        } catch {
            await clients.shutdown()
            throw error
        }
    }

    /// Submits an instruction the way the API does.
    @discardableResult
    func submit(_ template: String, composition: String = "Main", priority: Int = 5) async throws -> RenderInstruction {
        try await server.queue.submit(RenderSubmission(templateName: template, composition: composition,
                                                       layerData: ["Name 1": .string("김민수")], priority: priority),
                                      actor: "test").instruction
    }
}

extension TestClientProtocol {
    /// A JSON request with the dashboard account's credentials.
    func send(_ method: HTTPRequest.Method, _ uri: String, json body: String? = nil) async throws -> TestResponse {
        var headers = ServerHarness.authorized
        headers[.contentType] = "application/json"
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    /// The body as JSON.
    func json() throws -> [String: Any] {
        let data = Data(body.readableBytesView)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HarnessError("not a JSON object: \(String(decoding: data, as: UTF8.self))")
        }
        return object
    }

    var text: String { String(buffer: body) }

    /// The `error.code` of an error body (nil when the body is not one).
    var errorCode: String? { ((try? json())?["error"] as? [String: Any])?["code"] as? String }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
