import Foundation
import HubCore
import Hummingbird

extension HubServer {
    /// The operator actions of SPEC §7.3 over ``OperatorActions``: `POST /api/actions/retry`,
    /// `/bulk-retry`, `/change-priority` and `/cancel`. The actor recorded in the timeline and the
    /// activity log is the caller (``HubRequestContext/principal``). A job in the wrong state is
    /// 409 `CONFLICT`, an unknown id 404, a malformed body 400.
    func addActionRoutes(to router: Router<HubRequestContext>) {
        let actions = OperatorActions(queue: queue, logger: logger)
        router.post("/api/actions/retry") { request, context -> Response in
            let body = try await Self.decodeBody(RetryRequest.self, request, context, example: #"{"id":42,"reason":"footage restored"}"#)
            let instruction = try await actions.retry(try Self.positive(body.id, "id"), actor: Self.actor(context), reason: body.reason)
            return try Self.json(["instruction": InstructionBody(instruction)])
        }
        router.post("/api/actions/bulk-retry") { request, context -> Response in
            let body = try await Self.decodeBody(BulkRetryRequest.self, request, context, allowEmpty: true,
                                                 example: #"{"status":"failed","template":"leaderboard","since":"2h","dry_run":true}"#)
            let result = try await actions.bulkRetry(try body.filter(), dryRun: body.dryRun ?? false, actor: Self.actor(context), reason: body.reason)
            return try Self.json(BulkRetryResponse(result))
        }
        router.post("/api/actions/change-priority") { request, context -> Response in
            let body = try await Self.decodeBody(PriorityRequest.self, request, context, example: #"{"id":42,"priority":1}"#)
            guard (1...10).contains(body.priority) else {
                throw APIError.validation("priority must be 1 (highest) … 10 (lowest), not \(body.priority)", details: ["field": .string("priority")])
            }
            let instruction = try await actions.changePriority(try Self.positive(body.id, "id"), to: body.priority,
                                                               actor: Self.actor(context), reason: body.reason)
            return try Self.json(["instruction": InstructionBody(instruction)])
        }
        router.post("/api/actions/cancel") { request, context -> Response in
            let body = try await Self.decodeBody(RetryRequest.self, request, context, example: #"{"id":42,"reason":"wrong template"}"#)
            let id = try Self.positive(body.id, "id")
            let before = try await actions.cancel(id, actor: Self.actor(context), reason: body.reason)
            let instruction = try await self.queue.store.instruction(id)
            return try Self.json(CancelResponse(id: id, previousStatus: before.rawValue, stopping: before == .processing,
                                                instruction: InstructionBody(instruction)))
        }
    }

    /// Who acts: the authenticated principal.
    static func actor(_ context: HubRequestContext) -> String { context.principal ?? "api" }

    /// `value` when it is a positive id.
    /// - Throws: ``APIError`` 400 naming `field`.
    static func positive(_ value: Int64, _ field: String) throws -> Int64 {
        guard value > 0 else { throw APIError.validation("\(field) must be a positive whole number", details: ["field": .string(field)]) }
        return value
    }

    /// The JSON body as `T`; with `allowEmpty` an empty body reads as `{}`.
    /// - Throws: ``APIError`` 400 that shows `example` and says what was wrong.
    static func decodeBody<T: Decodable>(_ type: T.Type, _ request: Request, _ context: HubRequestContext, allowEmpty: Bool = false,
                                         example: String) async throws -> T {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let bytes = Array(buffer.readableBytesView)
        let blank = bytes.allSatisfy { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
        if blank && !allowEmpty { throw APIError.validation("the body must be JSON like \(example)") }
        do {
            return try APIJSON.decoder.decode(T.self, from: blank ? Data("{}".utf8) : Data(bytes))
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.validation("the body must be JSON like \(example): \(describeDecoding(error))")
        }
    }
}

/// The body of `POST /api/actions/retry` and `/cancel`.
struct RetryRequest: Decodable {
    var id: Int64
    var reason: String?
}

/// The body of `POST /api/actions/change-priority`.
struct PriorityRequest: Decodable {
    var id: Int64
    var priority: Int
    var reason: String?
}

/// The body of `POST /api/actions/bulk-retry`: every field optional (all failed instructions).
struct BulkRetryRequest: Decodable {
    /// One status or a list (`failed`, `cancelled`, `stale`).
    var status: [String]?
    var template: String?
    /// A window back from now: `90s`, `30m`, `2h`, `1d`, or a number of seconds.
    var since: String?
    var error: String?
    var dryRun: Bool?
    var reason: String?
    var limit: Int?

    enum CodingKeys: String, CodingKey {
        case status, template, since, error, reason, limit
        case dryRun = "dry_run"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let one = try? container.decodeIfPresent(String.self, forKey: .status) {
            status = [one]
        } else {
            status = try container.decodeIfPresent([String].self, forKey: .status)
        }
        template = try container.decodeIfPresent(String.self, forKey: .template)
        if let seconds = try? container.decodeIfPresent(Double.self, forKey: .since) {
            since = String(seconds)
        } else {
            since = try container.decodeIfPresent(String.self, forKey: .since)
        }
        error = try container.decodeIfPresent(String.self, forKey: .error)
        dryRun = try container.decodeIfPresent(Bool.self, forKey: .dryRun)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
        limit = try container.decodeIfPresent(Int.self, forKey: .limit)
    }

    /// The filter of ``OperatorActions/bulkRetry(_:dryRun:actor:reason:)``.
    /// - Throws: ``APIError`` 400 for an unknown status, a malformed window or a bad limit.
    func filter(now: Date = Date()) throws -> OperatorActions.BulkRetryFilter {
        let retryable: [RenderStatus] = [.failed, .cancelled, .stale]
        let statuses = try (status ?? ["failed"]).map { text -> RenderStatus in
            guard let parsed = RenderStatus(rawValue: text), retryable.contains(parsed) else {
                throw APIError.validation("status must be failed, cancelled or stale, not '\(text)'", details: ["field": .string("status")])
            }
            return parsed
        }
        guard !statuses.isEmpty else { throw APIError.validation("status must name at least one of failed, cancelled, stale", details: ["field": .string("status")]) }
        var sinceDate: Date?
        if let since {
            guard let seconds = Self.seconds(since) else {
                throw APIError.validation("since '\(since)' is not a duration: use e.g. 90s, 30m, 2h, 1d or a number of seconds",
                                          details: ["field": .string("since")])
            }
            sinceDate = now.addingTimeInterval(-seconds)
        }
        let limit = self.limit ?? 1000
        guard (1...100_000).contains(limit) else { throw APIError.validation("limit must be 1…100000", details: ["field": .string("limit")]) }
        return OperatorActions.BulkRetryFilter(statuses: statuses, template: template, since: sinceDate, errorContains: error, limit: limit)
    }

    /// `90s`, `30m`, `2h`, `1d` or plain seconds, in seconds: the command line's one duration
    /// syntax (``DurationSyntax``), so `hubctl jobs bulk-retry --since` and this field agree.
    static func seconds(_ text: String) -> Double? {
        guard let duration = DurationSyntax.parse(text) else { return nil }
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// What `POST /api/actions/bulk-retry` answers.
struct BulkRetryResponse: Encodable {
    struct Match: Encodable {
        var id: Int64
        var status: String
        var template: String
        var errorMessage: String?
        var finishedAt: Date?

        enum CodingKeys: String, CodingKey {
            case id, status, template
            case errorMessage = "error_message"
            case finishedAt = "finished_at"
        }
    }

    var dryRun: Bool
    var count: Int
    var matched: [Match]
    var retried: [Int64]

    enum CodingKeys: String, CodingKey {
        case count, matched, retried
        case dryRun = "dry_run"
    }

    init(_ result: OperatorActions.BulkRetryResult) {
        dryRun = result.dryRun
        count = result.matched.count
        matched = result.matched.map {
            Match(id: $0.id, status: $0.status.rawValue, template: $0.template, errorMessage: $0.errorMessage, finishedAt: $0.finishedAt)
        }
        retried = result.retried
    }
}

/// What `POST /api/actions/cancel` answers.
struct CancelResponse: Encodable {
    var id: Int64
    var previousStatus: String
    /// A running instruction: its worker stops it at its next heartbeat.
    var stopping: Bool
    var instruction: InstructionBody

    enum CodingKeys: String, CodingKey {
        case id, stopping, instruction
        case previousStatus = "previous_status"
    }
}
