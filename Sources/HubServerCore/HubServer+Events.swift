import Foundation
import HubCore
import Hummingbird

extension HubServer {
    /// The monitor's events (SPEC §7.1, §7.3) over ``MonitorEventStore``: `GET /api/events`
    /// and `POST /api/events/{id}/resolve` (the dashboard's Resolve button). A resolution is
    /// announced on `notifications` (``EventPublisher/alertResolved(_:)``) so that every open
    /// dashboard drops the alert.
    func addEventRoutes(to router: Router<HubRequestContext>) {
        let store = MonitorEventStore(pool: clients.database)
        router.get("/api/events") { request, _ -> Response in
            let limit = try Self.integerQuery(request, "limit", default: 100, in: 1...10_000)
            let unresolved = try Self.booleanQuery(request, "unresolved", default: false)
            let events = try await store.list(unresolved: unresolved, limit: limit)
            return try Self.json(["events": events.map(MonitorEventBody.init)])
        }
        router.post("/api/events/{id}/resolve") { request, context -> Response in
            let id = try Self.idParameter(context)
            let body = try await Self.decodeBody(ResolveRequest.self, request, context, allowEmpty: true,
                                                 example: #"{"reason":"footage restored"}"#)
            let event = try await store.resolve(id, actor: Self.actor(context), reason: body.reason)
            await self.queue.events.alertResolved(event)
            return try Self.json(["event": MonitorEventBody(event)])
        }
    }

    /// A boolean query parameter: `true`/`false`, `1`/`0`, `yes`/`no`, or present without a value (true).
    /// - Throws: ``APIError`` 400 naming the parameter.
    static func booleanQuery(_ request: Request, _ name: String, default value: Bool) throws -> Bool {
        guard let text = request.uri.queryParameters[name[...]] else { return value }
        switch text.lowercased() {
        case "", "true", "1", "yes": return true
        case "false", "0", "no": return false
        default:
            throw APIError.validation("query parameter \(name) must be true or false", details: ["parameter": .string(name)])
        }
    }
}

/// The body of `POST /api/events/{id}/resolve` (may be empty).
struct ResolveRequest: Decodable {
    var reason: String?
}

/// A monitor event as the API shows it.
struct MonitorEventBody: Encodable {
    var id: Int64
    var rule: String
    var subject: String
    var level: String
    var message: String
    var details: [String: JSONValue]
    var firstSeen: Date
    var lastSeen: Date
    var occurrences: Int
    var resolved: Bool
    var resolvedAt: Date?
    var resolvedBy: String?
    var resolution: String?

    enum CodingKeys: String, CodingKey {
        case id, rule, subject, level, message, details, occurrences, resolved, resolution
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
        case resolvedAt = "resolved_at"
        case resolvedBy = "resolved_by"
    }

    init(_ e: MonitorEvent) {
        id = e.id
        rule = e.rule
        subject = e.subject
        level = e.level.rawValue
        message = e.message
        details = e.details
        firstSeen = e.firstSeen
        lastSeen = e.lastSeen
        occurrences = e.occurrences
        resolved = e.resolvedAt != nil
        resolvedAt = e.resolvedAt
        resolvedBy = e.resolvedBy
        resolution = e.resolution
    }

    /// `resolved_at`, `resolved_by` and `resolution` are `null` (not absent) while open.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(rule, forKey: .rule)
        try c.encode(subject, forKey: .subject)
        try c.encode(level, forKey: .level)
        try c.encode(message, forKey: .message)
        try c.encode(details, forKey: .details)
        try c.encode(firstSeen, forKey: .firstSeen)
        try c.encode(lastSeen, forKey: .lastSeen)
        try c.encode(occurrences, forKey: .occurrences)
        try c.encode(resolved, forKey: .resolved)
        try c.encode(resolvedAt, forKey: .resolvedAt)
        try c.encode(resolvedBy, forKey: .resolvedBy)
        try c.encode(resolution, forKey: .resolution)
    }
}
