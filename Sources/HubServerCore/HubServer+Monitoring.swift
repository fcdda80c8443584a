import Foundation
import HubCore
import Hummingbird

extension HubServer {
    /// `/api/health` (public: status and up/down only), `/api/v1/health/details` (the same check
    /// with addresses, versions, errors and latencies), `/api/dashboard`, `/metrics`,
    /// `/api/openapi.json`.
    func addMonitoringRoutes(to router: Router<HubRequestContext>) {
        router.get("/api/health") { _, _ -> Response in
            let report = await HealthReport.collect(self.clients, program: Self.program)
            return try Self.json(HealthBody(report), status: report.status == "healthy" ? .ok : .serviceUnavailable)
        }
        router.get("/api/v1/health/details") { _, _ -> Response in
            let report = await HealthReport.collect(self.clients, program: Self.program)
            return try Self.json(HealthDetailsBody(report), status: report.status == "healthy" ? .ok : .serviceUnavailable)
        }
        router.get("/api/dashboard") { request, _ -> Response in
            let window = try Self.integerQuery(request, "window_hours", default: 24, in: 1...168)
            let snapshot = try await DashboardQuery(pool: self.clients.database, windowHours: window, rollup: self.rollup).snapshot()
            return try Self.json(snapshot)
        }
        router.get("/metrics") { _, _ -> Response in
            let text = try await self.prometheusText()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/api/openapi.json") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
    }

    /// The queue figures (read through the dashboard's indexes at scrape time), the server's own
    /// metrics and the process's swift-metrics (``HubMetrics``: webhook deliveries and whatever
    /// HubCore records in this process).
    func prometheusText() async throws -> String {
        let snapshot = try await DashboardQuery(pool: clients.database, windowHours: 24, rollup: rollup).snapshot()
        metrics.recordQueue(snapshot)
        return metrics.prometheusText() + HubMetrics.exposition()
    }

    /// `value` as a JSON response.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try APIJSON.encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// An integer query parameter within `range`.
    /// - Throws: ``APIError`` 400 naming the parameter.
    static func integerQuery(_ request: Request, _ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters[name[...]] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.validation("query parameter \(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)",
                                      details: ["parameter": .string(name)])
        }
        return number
    }

    /// The `{id}` path parameter as an instruction id.
    static func idParameter(_ context: HubRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw APIError.validation("the id in the path must be a positive whole number", details: ["parameter": .string("id")])
        }
        return id
    }
}

/// `/api/health` in the seed 002 §8.1 shape (`status`, `blocks`, `dependencies`) plus each
/// checked component's name and `ok`/`error`. It is public, so it tells an anonymous caller
/// nothing about the infrastructure: no address, no version (of the hub or of PostgreSQL and
/// Redis), no error text, no latency. ``HealthDetailsBody`` has them, behind credentials.
struct HealthBody: Encodable {
    struct Component: Encodable {
        var name: String
        var status: String
    }

    var status: String
    var blocks: [String: String]
    var dependencies: [String: String]
    var components: [Component]
    var checkedAt: Date

    enum CodingKeys: String, CodingKey {
        case status, blocks, dependencies, components
        case checkedAt = "checked_at"
    }

    init(_ report: HealthReport) {
        status = report.status
        var blocks = report.blocks
        blocks["api"] = "healthy"
        self.blocks = blocks
        dependencies = report.dependencies
        components = report.components.map { Component(name: $0.name, status: $0.status) }
        checkedAt = report.checkedAt
    }
}

/// `GET /api/v1/health/details` (credentials required): the public report plus, per component,
/// where it is (passwords redacted), its version or what is wrong, and the check's latency, and
/// hub-server's own version.
struct HealthDetailsBody: Encodable {
    struct Component: Encodable {
        var name: String
        var status: String
        var address: String
        var detail: String
        var latencyMs: Double?

        enum CodingKeys: String, CodingKey {
            case name, status, address, detail
            case latencyMs = "latency_ms"
        }
    }

    var status: String
    var blocks: [String: String]
    var dependencies: [String: String]
    var components: [Component]
    var checkedAt: Date
    var version: String

    enum CodingKeys: String, CodingKey {
        case status, blocks, dependencies, components, version
        case checkedAt = "checked_at"
    }

    init(_ report: HealthReport) {
        let summary = HealthBody(report)
        status = summary.status
        blocks = summary.blocks
        dependencies = summary.dependencies
        components = report.components.map {
            Component(name: $0.name, status: $0.status, address: $0.address, detail: $0.detail, latencyMs: $0.latencyMs)
        }
        checkedAt = report.checkedAt
        version = HubVersion.current
    }
}
