import Crypto
import Foundation

/// A render job as stored in `render_instructions`.
public struct RenderInstruction: Sendable, Hashable, Codable {
    public var id: Int64
    public var templateName: String
    public var composition: String
    public var layerData: [String: JSONValue]
    public var outputSettings: OutputSettings
    public var status: RenderStatus
    /// 1 (highest) … 10 (lowest).
    public var priority: Int
    public var trigger: RenderTrigger
    public var triggerID: String?
    public var cueItemID: Int64?
    public var retryCount: Int
    public var maxRetries: Int
    public var attempt: Int
    public var errorMessage: String?
    public var dataHash: String
    public var createdAt: Date
    public var scheduledAt: Date
    public var startedAt: Date?
    public var completedAt: Date?
    public var workerID: String?
    public var leaseExpiresAt: Date?
    public var progressFrame: Int?
    public var progressTotal: Int?
    public var cancelRequested: Bool
    /// The idempotency key it was submitted with, if any (unique among stored instructions).
    public var idempotencyKey: String? = nil
}

/// What a caller asks to render.
public struct RenderSubmission: Sendable, Hashable {
    public var templateName: String
    public var composition: String
    public var layerData: [String: JSONValue]
    public var outputSettings: OutputSettings
    public var priority: Int
    public var maxRetries: Int
    public var trigger: RenderTrigger
    public var triggerID: String?
    public var cueItemID: Int64?
    /// An idempotency key: a second submission with the same key returns the instruction the
    /// first one created instead of a new one (``RenderStore/submit(_:notify:deletingPublished:)``);
    /// the same key with a different request (``idempotencyFingerprint``) is refused.
    public var idempotencyKey: String?

    /// The longest idempotency key accepted.
    public static let maxIdempotencyKeyLength = 255

    /// Creates a submission with the defaults of SPEC §2 (priority 5, 3 retries, manual).
    public init(
        templateName: String, composition: String = "Main", layerData: [String: JSONValue] = [:],
        outputSettings: OutputSettings = OutputSettings(), priority: Int = 5, maxRetries: Int = 3,
        trigger: RenderTrigger = .manual, triggerID: String? = nil, cueItemID: Int64? = nil,
        idempotencyKey: String? = nil
    ) {
        self.idempotencyKey = idempotencyKey
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
        Self.hex(SHA256.hash(data: Data("\(dataHash)\u{1F}\(priority)\u{1F}\(maxRetries)".utf8)))
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in digest {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// The render-cache key: SHA-256 of the template, composition, bound data and output settings.
    public var dataHash: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let settings = (try? encoder.encode(outputSettings)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let text = [templateName, composition, JSONValue.object(layerData).canonicalText, settings].joined(separator: "\u{1F}")
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: Data(text.utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
