import Foundation
import HTTPTypes
import HubCore
import Hummingbird

extension HubServer {
    /// `POST /api/v1/render`, `GET /api/v1/render/{id}/status`, `GET /api/v1/render/{id}/output`,
    /// `GET /api/v1/render/{id}/output/file` (the output itself, for the dashboard's thumbnails)
    /// and `GET /api/v1/render` (the job list of the dashboard).
    func addRenderRoutes(to router: Router<HubRequestContext>) {
        router.post("/api/v1/render") { request, context -> Response in
            let body: RenderRequest
            do {
                body = try await request.decode(as: RenderRequest.self, context: context)
            } catch {
                throw APIError.validation("the body must be JSON like {\"template\":\"leaderboard\",\"data\":{…}}: \(Self.describeDecoding(error))")
            }
            var submission = try body.submission()
            if let header = request.headers[Self.idempotencyKeyHeader] {
                if let key = submission.idempotencyKey, key != header {
                    throw APIError.validation("the Idempotency-Key header and idempotency_key in the body differ; send one, or the same key in both")
                }
                submission.idempotencyKey = header
                do { try submission.validate() } catch let error as HubError { throw APIError.validation(error.message) }
            }
            let result = try await self.queue.submit(submission, actor: context.principal ?? "api")
            // 201 for a new instruction; 200 when the key named one submitted before (a replay).
            return try Self.json(SubmitResponse(id: result.instruction.id, status: result.instruction.status.rawValue,
                                                published: result.published, replayed: result.replayed,
                                                instruction: InstructionBody(result.instruction)),
                                 status: result.replayed ? .ok : .created)
        }
        router.get("/api/v1/render") { request, _ -> Response in
            let limit = try Self.integerQuery(request, "limit", default: 50, in: 1...1000)
            var status: RenderStatus?
            if let text = request.uri.queryParameters["status"] {
                guard let parsed = RenderStatus(rawValue: String(text)) else {
                    throw APIError.validation("status must be one of \(RenderStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                status = parsed
            }
            let list = try await self.queue.store.list(status: status, limit: limit)
            return try Self.json(["instructions": list.map(InstructionBody.init)])
        }
        router.get("/api/v1/render/{id}/status") { _, context -> Response in
            let id = try Self.idParameter(context)
            let instruction = try await self.queue.store.instruction(id)
            let timeline = try await self.queue.store.timeline(id)
            return try Self.json(StatusResponse(instruction: InstructionBody(instruction), timeline: timeline.map(TimelineBody.init)))
        }
        router.get("/api/v1/render/{id}/output") { _, context -> Response in
            let id = try Self.idParameter(context)
            let instruction = try await self.queue.store.instruction(id)
            let attempts = try await RenderOutputRecord.list(instruction: id, pool: self.clients.database)
            return try Self.json(OutputResponse(instructionID: id, status: instruction.status.rawValue,
                                                output: attempts.last { $0.status == .completed }, attempts: attempts))
        }
        router.get("/api/v1/render/{id}/output/file") { _, context -> Response in
            let id = try Self.idParameter(context)
            let attempts = try await RenderOutputRecord.list(instruction: id, pool: self.clients.database)
            guard let recorded = attempts.last(where: { $0.status == .completed })?.outputPath else {
                throw APIError.notFound("instruction \(id) has no completed output; GET /api/v1/render/\(id)/status shows where it is")
            }
            let directory = self.clients.configuration.value(.outputDirectory) ?? ".hub/output"
            guard let file = OutputFile.resolve(recorded, inside: directory) else {
                throw APIError.notFound("the output of instruction \(id) is not a file inside this server's output directory "
                    + "(\(HubSetting.outputDirectory.name)); it was moved, deleted, or written where this server does not serve from")
            }
            let body = try await FileIO().loadFile(path: file.path, context: context)
            return Response(status: .ok, headers: [.contentType: file.contentType, .cacheControl: "private, max-age=60",
                                                   Self.contentTypeOptions: "nosniff"], body: body)
        }
    }

    /// `Idempotency-Key`: a repeated `POST /api/v1/render` with the same key returns the first one's instruction.
    static let idempotencyKeyHeader = HTTPField.Name("Idempotency-Key")!

    /// `X-Content-Type-Options`.
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!

    static func describeDecoding(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted(let context):
            context.codingPath.isEmpty
                ? "not valid JSON (\(context.debugDescription))"
                : "invalid value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)"
        default: "unreadable body"
        }
    }
}

/// The body of `POST /api/v1/render`.
struct RenderRequest: Decodable {
    var template: String
    var composition: String?
    var data: [String: JSONValue]?
    var output: OutputSettings?
    var priority: Int?
    var maxRetries: Int?
    var trigger: String?
    var triggerID: String?
    var cueItemID: Int64?
    var idempotencyKey: String?
    var scheduledAt: String?
    var noCache: Bool?
    var requires: [String]?

    enum CodingKeys: String, CodingKey {
        case template, composition, data, output, priority, trigger, requires
        case maxRetries = "max_retries"
        case triggerID = "trigger_id"
        case cueItemID = "cue_item_id"
        case idempotencyKey = "idempotency_key"
        case scheduledAt = "scheduled_at"
        case noCache = "no_cache"
    }

    func submission() throws -> RenderSubmission {
        var trigger = RenderTrigger.api
        if let name = self.trigger {
            guard let parsed = RenderTrigger(rawValue: name) else {
                throw APIError.validation("trigger must be one of \(RenderTrigger.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            trigger = parsed
        }
        var due: Date?
        if let text = scheduledAt {
            guard let date = ISO8601DateFormatter.time(text) else {
                throw APIError.validation("scheduled_at must be an RFC 3339 time with a zone, e.g. 2026-12-07T17:25:00Z")
            }
            due = date
        }
        let submission = RenderSubmission(templateName: template, composition: composition ?? "Main", layerData: data ?? [:],
                                          outputSettings: output ?? OutputSettings(), priority: priority ?? 5,
                                          maxRetries: maxRetries ?? 3, trigger: trigger, triggerID: triggerID, cueItemID: cueItemID,
                                          idempotencyKey: idempotencyKey, scheduledAt: due, noCache: noCache ?? false,
                                          requiredTags: requires ?? [])
        try submission.validate()
        return submission
    }
}

/// A render instruction as the API shows it.
struct InstructionBody: Encodable {
    var id: Int64
    var template: String
    var composition: String
    var data: [String: JSONValue]
    var output: OutputSettings
    var status: String
    var priority: Int
    var trigger: String
    var triggerID: String?
    var cueItemID: Int64?
    var retryCount: Int
    var maxRetries: Int
    var attempt: Int
    var errorMessage: String?
    var createdAt: Date
    var scheduledAt: Date
    var startedAt: Date?
    var completedAt: Date?
    var workerID: String?
    var progressFrame: Int?
    var progressTotal: Int?
    var cancelRequested: Bool
    var idempotencyKey: String?
    var requires: [String]

    enum CodingKeys: String, CodingKey {
        case id, template, composition, data, output, status, priority, trigger, attempt, requires
        case triggerID = "trigger_id"
        case cueItemID = "cue_item_id"
        case retryCount = "retry_count"
        case maxRetries = "max_retries"
        case errorMessage = "error_message"
        case createdAt = "created_at"
        case scheduledAt = "scheduled_at"
        case startedAt = "started_at"
        case completedAt = "completed_at"
        case workerID = "worker_id"
        case progressFrame = "progress_frame"
        case progressTotal = "progress_total"
        case cancelRequested = "cancel_requested"
        case idempotencyKey = "idempotency_key"
    }

    init(_ i: RenderInstruction) {
        id = i.id
        template = i.templateName
        composition = i.composition
        data = i.layerData
        output = i.outputSettings
        status = i.status.rawValue
        priority = i.priority
        trigger = i.trigger.rawValue
        triggerID = i.triggerID
        cueItemID = i.cueItemID
        retryCount = i.retryCount
        maxRetries = i.maxRetries
        attempt = i.attempt
        errorMessage = i.errorMessage
        createdAt = i.createdAt
        scheduledAt = i.scheduledAt
        startedAt = i.startedAt
        completedAt = i.completedAt
        workerID = i.workerID
        progressFrame = i.progressFrame
        progressTotal = i.progressTotal
        cancelRequested = i.cancelRequested
        idempotencyKey = i.idempotencyKey
        requires = i.requiredTags
    }
}

struct TimelineBody: Encodable {
    var occurredAt: Date
    var event: String
    var fromStatus: String?
    var toStatus: String
    var actor: String
    var workerID: String?
    var attempt: Int?
    var reason: String?

    enum CodingKeys: String, CodingKey {
        case event, actor, attempt, reason
        case occurredAt = "occurred_at"
        case fromStatus = "from_status"
        case toStatus = "to_status"
        case workerID = "worker_id"
    }

    init(_ e: RenderStore.TimelineEntry) {
        occurredAt = e.occurredAt
        event = e.event
        fromStatus = e.fromStatus
        toStatus = e.toStatus
        actor = e.actor
        workerID = e.workerID
        attempt = e.attempt
        reason = e.reason
    }
}

struct SubmitResponse: Encodable {
    var id: Int64
    var status: String
    var published: Bool
    var replayed: Bool
    var instruction: InstructionBody
}

struct StatusResponse: Encodable {
    var instruction: InstructionBody
    var timeline: [TimelineBody]
}

struct OutputResponse: Encodable {
    var instructionID: Int64
    var status: String
    var output: RenderOutputRecord?
    var attempts: [RenderOutputRecord]

    enum CodingKeys: String, CodingKey {
        case status, output, attempts
        case instructionID = "instruction_id"
    }

    /// `output` is `null` (not absent) until an attempt completes.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(instructionID, forKey: .instructionID)
        try container.encode(status, forKey: .status)
        try container.encode(output, forKey: .output)
        try container.encode(attempts, forKey: .attempts)
    }
}
