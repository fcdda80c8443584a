import Crypto
import Foundation

/// A render job as stored in `render_instructions`: what to render, where it is in its
/// lifecycle, and who holds it.
public struct RenderInstruction: Sendable, Hashable, Codable, Identifiable {
    /// The hub's id (`hubctl render status 42`).
    public var id: Int64
    /// The After Effects template (project) to render.
    public var templateName: String
    /// The composition within the template.
    public var composition: String
    /// The data bound to the composition's layers.
    public var layerData: [String: JSONValue]
    /// How the file is written.
    public var outputSettings: OutputSettings
    /// Where it is in its lifecycle.
    public var status: RenderStatus
    /// 1 (highest) … 10 (lowest).
    public var priority: Int
    /// What created it.
    public var trigger: RenderTrigger
    /// The id of what created it (a hand, a cue item), as text.
    public var triggerID: String?
    /// The cue item it renders, when a cue triggered it.
    public var cueItemID: Int64?
    /// Failed attempts so far.
    public var retryCount: Int
    /// Failed attempts allowed before it is `failed`.
    public var maxRetries: Int
    /// The attempt number of the current or last claim (0 before the first).
    public var attempt: Int
    /// Why the last attempt failed.
    public var errorMessage: String?
    /// The render-cache key (see ``RenderSubmission/dataHash``).
    public var dataHash: String
    /// When it was committed.
    public var createdAt: Date
    /// When it is due (later than ``createdAt`` while it waits for a retry's backoff).
    public var scheduledAt: Date
    /// When the current or last attempt started.
    public var startedAt: Date?
    /// When it finished.
    public var completedAt: Date?
    /// The worker that holds it (or held it last).
    public var workerID: String?
    /// When the holding worker's lease runs out unless it renews it.
    public var leaseExpiresAt: Date?
    /// The last frame the worker reported.
    public var progressFrame: Int?
    /// The frames to render in all.
    public var progressTotal: Int?
    /// Whether a cancel waits for the worker to stop the render.
    public var cancelRequested: Bool
    /// The idempotency key it was submitted with, if any (unique among stored instructions).
    public var idempotencyKey: String? = nil
    /// Tags a worker must have to claim it, in lower case and sorted (see
    /// ``RenderSubmission/requiredTags``); empty: any worker.
    public var requiredTags: [String] = []

    /// Creates an instruction value. The hub creates instructions with ``Hub/submit(_:)``; a
    /// consumer builds one to test code that reads them.
    public init(id: Int64, templateName: String, composition: String = "Main", layerData: [String: JSONValue] = [:],
                outputSettings: OutputSettings = OutputSettings(), status: RenderStatus = .pending, priority: Int = 5,
                trigger: RenderTrigger = .manual, triggerID: String? = nil, cueItemID: Int64? = nil, retryCount: Int = 0,
                maxRetries: Int = 3, attempt: Int = 0, errorMessage: String? = nil, dataHash: String = "",
                createdAt: Date = Date(), scheduledAt: Date? = nil, startedAt: Date? = nil, completedAt: Date? = nil,
                workerID: String? = nil, leaseExpiresAt: Date? = nil, progressFrame: Int? = nil, progressTotal: Int? = nil,
                cancelRequested: Bool = false, idempotencyKey: String? = nil, requiredTags: [String] = []) {
        self.id = id
        self.requiredTags = requiredTags
        self.templateName = templateName
        self.composition = composition
        self.layerData = layerData
        self.outputSettings = outputSettings
        self.status = status
        self.priority = priority
        self.trigger = trigger
        self.triggerID = triggerID
        self.cueItemID = cueItemID
        self.retryCount = retryCount
        self.maxRetries = maxRetries
        self.attempt = attempt
        self.errorMessage = errorMessage
        self.dataHash = dataHash
        self.createdAt = createdAt
        self.scheduledAt = scheduledAt ?? createdAt
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.workerID = workerID
        self.leaseExpiresAt = leaseExpiresAt
        self.progressFrame = progressFrame
        self.progressTotal = progressTotal
        self.cancelRequested = cancelRequested
        self.idempotencyKey = idempotencyKey
    }
}

/// What a caller asks to render.
public struct RenderSubmission: Sendable, Hashable {
    /// The After Effects template (project) to render.
    public var templateName: String
    /// The composition within the template (`Main` by default).
    public var composition: String
    /// The data bound to the composition's layers, by field key.
    public var layerData: [String: JSONValue]
    /// How the file is written.
    public var outputSettings: OutputSettings
    /// 1 (highest) … 10 (lowest).
    public var priority: Int
    /// Failed attempts allowed (0…100) before the instruction is `failed`.
    public var maxRetries: Int
    /// What asks for the render.
    public var trigger: RenderTrigger
    /// The id of what asks for it (a hand, a cue item), as text.
    public var triggerID: String?
    /// The cue item it renders (the item then follows the instruction).
    public var cueItemID: Int64?
    /// An idempotency key: a second submission with the same key returns the instruction the
    /// first one created instead of a new one, also when both arrive at the same moment; the same
    /// key with a different request (template, composition, data, output settings, priority,
    /// retries, `noCache` or required tags) is refused with ``HubError`` `.conflict`. 1–255 bytes, no control
    /// characters (`Idempotency-Key` in the HTTP API, `--key` in `hubctl`).
    public var idempotencyKey: String?
    /// When the instruction becomes due (nil: at once). Until then no worker claims it; it can be
    /// cancelled or reprioritised. A time in the past means at once.
    public var scheduledAt: Date?
    /// Render anew even when the render cache holds an output of the same template version,
    /// composition, data and settings.
    public var noCache: Bool
    /// Tags a worker must have to render it (e.g. `gpu`, `ae-2025`), besides those its
    /// composition's description requires: only workers started with all of them claim it.
    /// Letters, digits, `.`, `_` and `-`; compared in lower case.
    public var requiredTags: [String]

    /// How far ahead an instruction can be scheduled.
    public static let maxScheduleAhead: TimeInterval = 366 * 86_400

    /// The longest idempotency key accepted.
    public static let maxIdempotencyKeyLength = 255

    /// Creates a submission with the defaults of SPEC §2 (priority 5, 3 retries, manual).
    public init(
        templateName: String, composition: String = "Main", layerData: [String: JSONValue] = [:],
        outputSettings: OutputSettings = OutputSettings(), priority: Int = 5, maxRetries: Int = 3,
        trigger: RenderTrigger = .manual, triggerID: String? = nil, cueItemID: Int64? = nil,
        idempotencyKey: String? = nil, scheduledAt: Date? = nil, noCache: Bool = false, requiredTags: [String] = []
    ) {
        self.noCache = noCache
        self.requiredTags = requiredTags
        self.idempotencyKey = idempotencyKey
        self.scheduledAt = scheduledAt
        self.templateName = templateName
        self.composition = composition
        self.layerData = layerData
        self.outputSettings = outputSettings
        self.priority = priority
        self.maxRetries = maxRetries
        self.trigger = trigger
        self.triggerID = triggerID
        self.cueItemID = cueItemID
    }

    /// Checks what the database would refuse, with messages an operator understands.
    /// - Throws: ``HubError`` `.usage`.
    public func validate() throws {
        guard !templateName.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw HubError(.usage, "the template name is empty")
        }
        guard !composition.isEmpty else { throw HubError(.usage, "the composition name is empty") }
        guard (1...10).contains(priority) else {
            throw HubError(.usage, "priority \(priority) is outside 1 (highest) … 10 (lowest)")
        }
        guard (0...100).contains(maxRetries) else { throw HubError(.usage, "max retries \(maxRetries) is outside 0…100") }
        try outputSettings.validate()
        _ = try RenderTags.normalize(requiredTags)
        if let scheduledAt, scheduledAt.timeIntervalSinceNow > Self.maxScheduleAhead {
            throw HubError(.usage, "the due time \(scheduledAt.formatted(.iso8601)) is more than 366 days ahead")
        }
        if let key = idempotencyKey {
            guard !key.isEmpty, key.utf8.count <= Self.maxIdempotencyKeyLength else {
                throw HubError(.usage, "the idempotency key must be 1…\(Self.maxIdempotencyKeyLength) bytes (it is \(key.utf8.count)); use an id of the request, such as a UUID")
            }
            guard !key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw HubError(.usage, "the idempotency key contains a control character; use printable text such as a UUID")
            }
        }
    }

    /// What an idempotency key stands for: SHA-256 of the data hash (template, composition, bound
    /// data, output settings), the priority and the retries. A second submission with the same key
    /// must have the same fingerprint; who submits it and through which trigger do not count.
    package var idempotencyFingerprint: String {
        // The due time does not count: `--in 10m` retried a second later is the same request.
        let due = noCache ? "\u{1F}no-cache" : ""
        let tags = (try? RenderTags.normalize(requiredTags)) ?? requiredTags
        let requires = tags.isEmpty ? "" : "\u{1F}requires:" + tags.joined(separator: ",")
        return Hex.sha256(Data("\(dataHash)\u{1F}\(priority)\u{1F}\(maxRetries)\(due)\(requires)".utf8))
    }

    /// The render-cache key: SHA-256 of the template, composition, bound data and output settings.
    public var dataHash: String { dataHash(layerText: JSONValue.object(layerData).canonicalText) }

    /// ``dataHash`` from the layer data's canonical text, when the caller has it already (the
    /// submit statement sends the same text as the `jsonb` value).
    func dataHash(layerText: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let settings = (try? encoder.encode(outputSettings)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let text = [templateName, composition, layerText, settings].joined(separator: "\u{1F}")
        return Hex.sha256(Data(text.utf8))
    }
}
