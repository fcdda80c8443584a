import Foundation

/// An After Effects composition as the hub knows it (schema doc §5.2): its layers and the field
/// keys that bind data onto them. Registered from a description file by `hubctl aep import`
/// (format: Docs/players-and-cues.md).
public struct AEPComposition: Sendable, Hashable, Codable {
    /// The AEP project (the render instruction's template name).
    public var project: String
    /// The composition inside the project.
    public var name: String
    public var width: Int
    public var height: Int
    public var fps: Int
    public var durationFrames: Int?
    public var description: String?
    /// The field keys, in the order of the description.
    public var fields: [AEPFieldKey]
    /// Every layer, named as in After Effects.
    public var layers: [AEPLayer]
    /// The longest one render of this composition may run (`max_render_seconds`); nil: the
    /// worker's limit (`HUB_MAX_RENDER_SECONDS`).
    public var maxRenderSeconds: Int?

    /// What `max_render_seconds` may be: a second to a week (the worker's own range).
    public static let maxRenderSecondsRange = 1...604_800

    public init(project: String, name: String, width: Int = 1920, height: Int = 1080, fps: Int = 30, durationFrames: Int? = nil,
                description: String? = nil, fields: [AEPFieldKey], layers: [AEPLayer], maxRenderSeconds: Int? = nil) {
        self.maxRenderSeconds = maxRenderSeconds
        self.project = project
        self.name = name
        self.width = width
        self.height = height
        self.fps = fps
        self.durationFrames = durationFrames
        self.description = description
        self.fields = fields
        self.layers = layers
    }

    /// The field with `key`.
    public func field(_ key: String) -> AEPFieldKey? { fields.first { $0.key == key } }
}

/// How one piece of data reaches layers: a `slot` field fills numbered layers ("Name 1" …
/// "Name 30"), a `single` field fills one layer.
public struct AEPFieldKey: Sendable, Hashable, Codable {
    public enum Pattern: String, Sendable, Hashable, Codable { case slot, single }
    public enum Kind: String, Sendable, Hashable, Codable { case text, image }
    /// How numbers are written: `auto` and `number` group thousands (1,500,000), `plain` does not.
    public enum Format: String, Sendable, Hashable, Codable { case auto, number, plain }

    /// The data key (`name`, `chips`, `rank`, `flag`, …).
    public var key: String
    public var pattern: Pattern
    /// Layers of a slot field (nil for a single field).
    public var slotCount: Int?
    public var kind: Kind
    /// The layer name; `{n}` is the slot number ("Name {n}").
    public var layerPattern: String
    /// Binding fails when the data lacks this field (for a slot field: in any row).
    public var required: Bool
    public var format: Format
    /// The media source an image value resolves through (`flag`, `profile`); nil: used as is.
    public var mediaKind: String?

    public init(key: String, pattern: Pattern, slotCount: Int? = nil, kind: Kind = .text, layerPattern: String,
                required: Bool = false, format: Format = .auto, mediaKind: String? = nil) {
        self.key = key
        self.pattern = pattern
        self.slotCount = slotCount
        self.kind = kind
        self.layerPattern = layerPattern
        self.required = required
        self.format = format
        self.mediaKind = mediaKind
    }

    /// The layer of slot `n` (1-based), or the single layer.
    public func layerName(slot n: Int? = nil) -> String {
        guard let n else { return layerPattern }
        return layerPattern.replacingOccurrences(of: "{n}", with: String(n))
    }

    /// Every layer this field fills.
    public var layerNames: [String] {
        switch pattern {
        case .single: [layerPattern]
        case .slot: (1...max(1, slotCount ?? 1)).map { layerName(slot: $0) }
        }
    }
}

/// A layer of a composition.
public struct AEPLayer: Sendable, Hashable, Codable {
    public enum LayerType: String, Sendable, Hashable, Codable { case text, image, other }
    public var name: String
    public var type: LayerType
    /// The field that fills it, if any.
    public var fieldKey: String?
    /// Its slot number, for a slot field.
    public var slot: Int?

    public init(name: String, type: LayerType, fieldKey: String? = nil, slot: Int? = nil) {
        self.name = name
        self.type = type
        self.fieldKey = fieldKey
        self.slot = slot
    }
}

/// Where images of one kind come from: `{value}` in the pattern is replaced by the value (a
/// country code for `flag`, a photo path for `profile`).
public struct AEPMediaSource: Sendable, Hashable, Codable {
    public var kind: String
    public var pathPattern: String
    /// Used when the value is empty.
    public var fallback: String?

    public init(kind: String, pathPattern: String, fallback: String? = nil) {
        self.kind = kind
        self.pathPattern = pathPattern
        self.fallback = fallback
    }

    /// The path for `value`, or the fallback for an empty value. A value that only fills part of
    /// the pattern (`/srv/media/flags/{value}.png`) must be a plain name
    /// (``MediaPolicy/isPlainName(_:)``): one that is a path or URL gets the fallback too, so data
    /// never makes the pattern lead elsewhere. A pattern that is the value itself (`{value}`: a
    /// photo path) passes it on; the media policy judges the result.
    public func resolve(_ value: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return fallback }
        let whole = pathPattern == "{value}" || pathPattern == "{value_lower}"
        guard whole || MediaPolicy.isPlainName(trimmed) else { return fallback }
        let value = kind == "flag" ? trimmed.uppercased() : trimmed
        return pathPattern.replacingOccurrences(of: "{value}", with: value)
            .replacingOccurrences(of: "{value_lower}", with: value.lowercased())
    }
}
