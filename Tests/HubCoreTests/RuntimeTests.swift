import Foundation
import HubCore
import HubTestSupport
import Logging
import ServiceLifecycle
import Testing

/// The pieces of ``HubRuntime`` that need no servers: the metrics endpoint, the JSON log line.
@Suite struct RuntimeTests {
    static let credentials = try! HubCredentials(username: "operator", password: "correct horse", apiKeys: ["scrape-key"])

    /// Sends `method path` to 127.0.0.1:`port` and returns the status code and body.
    static func get(_ path: String, port: Int, headers: [String: String] = [:], method: String = "GET") async throws -> (Int, String) {
        let response = try #require(HTTPProbe.get(port: port, path: path, headers: headers, method: method))
        return (response.status, response.body)
    }

    @Test func metricsEndpointNeedsCredentialsAndServesTheRegistry() async throws {
        HubMetrics.bootstrap()
        let endpoint = MetricsEndpoint(host: "127.0.0.1", port: 0, credentials: Self.credentials, program: "runtime-test",
                                       logger: Logger(label: "test"))
        let group = ServiceGroup(services: [endpoint], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await waitUntil("the endpoint to listen") { endpoint.port != nil }
            let port = try #require(endpoint.port)
            HubMetrics.webhookDelivery(outcome: "delivered")

            let (health, _) = try await Self.get("/health", port: port)
            #expect(health == 200, "health needs no credentials")
            let (anonymous, _) = try await Self.get("/metrics", port: port)
            #expect(anonymous == 401)
            let (wrongKey, _) = try await Self.get("/metrics", port: port, headers: ["X-API-Key": "guess"])
            #expect(wrongKey == 401)
            let (wrongPassword, _) = try await Self.get("/metrics", port: port, headers: [
                "Authorization": "Basic " + Data("operator:wrong".utf8).base64EncodedString()])
            #expect(wrongPassword == 401)

            let (byKey, text) = try await Self.get("/metrics", port: port, headers: ["X-API-Key": "scrape-key"])
            #expect(byKey == 200)
            #expect(text.contains("hub_webhook_deliveries_total{outcome=\"delivered\"}"))
            #expect(text.contains("hub_process_up{program=\"runtime-test\"} 1"))
            let (byBearer, _) = try await Self.get("/metrics", port: port, headers: ["Authorization": "Bearer scrape-key"])
            #expect(byBearer == 200)
            let (byBasic, _) = try await Self.get("/metrics", port: port, headers: [
                "Authorization": "Basic " + Data("operator:correct horse".utf8).base64EncodedString()])
            #expect(byBasic == 200)
            let (post, _) = try await Self.get("/metrics", port: port, headers: ["X-API-Key": "scrape-key"], method: "POST")
            #expect(post == 405)
            let (other, _) = try await Self.get("/api/v1/render", port: port, headers: ["X-API-Key": "scrape-key"])
            #expect(other == 404)

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func metricsEndpointAnswersAStalledClientWithoutHanging() async throws {
        let endpoint = MetricsEndpoint(host: "127.0.0.1", port: 0, credentials: Self.credentials, program: "runtime-test",
                                       logger: Logger(label: "test"))
        #expect(String(decoding: endpoint.respond(to: nil), as: UTF8.self).hasPrefix("HTTP/1.1 400"))
        #expect(String(decoding: endpoint.respond(to: "GARBAGE\r\n\r\n"), as: UTF8.self).hasPrefix("HTTP/1.1 400"))
        #expect(MetricsEndpoint.endOfHead(in: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)))
        #expect(!MetricsEndpoint.endOfHead(in: Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8)))
    }

    @Test func aBusyPortIsAClearConfigurationError() async throws {
        let first = MetricsEndpoint(host: "127.0.0.1", port: 0, credentials: Self.credentials, program: "a", logger: Logger(label: "test"))
        let group = ServiceGroup(services: [first], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await waitUntil("the endpoint to listen") { first.port != nil }
            let second = MetricsEndpoint(host: "127.0.0.1", port: try #require(first.port), credentials: Self.credentials, program: "b",
                                         logger: Logger(label: "test"))
            let error = await #expect(throws: HubError.self) { try await second.run() }
            #expect(error?.description.contains("--metrics-port") == true)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func jsonLogLinesCarryMetadataAsFields() throws {
        let line = JSONLogHandler.line(time: Date(timeIntervalSince1970: 1_800_000_000), level: .notice, logger: "hub.worker",
                                       message: "claimed \"x\"", fields: ["instruction_id": "42", "lease": "abc"])
        #expect(line.hasSuffix("}\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["instruction_id"] == "42")
        #expect(object["lease"] == "abc")
        #expect(object["level"] == "notice")
        #expect(object["logger"] == "hub.worker")
        #expect(object["message"] == "claimed \"x\"")
        #expect(object["time"]?.hasPrefix("2027-01-15T08:00:00") == true)
    }

    @Test func logFormatComesFromTheArgumentsBeforeTheEnvironment() {
        #expect(HubLogging.argumentValue("--log-format", in: ["hub-worker", "--log-format", "json"]) == "json")
        #expect(HubLogging.argumentValue("--log-format", in: ["hub-worker", "--log-format=json"]) == "json")
        #expect(HubLogging.argumentValue("--log-format", in: ["hub-worker", "--once"]) == nil)
    }
}
