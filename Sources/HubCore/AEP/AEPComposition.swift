import Foundation

/// An After Effects composition as the hub knows it (schema doc §5.2): its layers and the field
/// keys that bind data onto them. Registered from a description file by `hubctl aep import`
/// (format: Docs/players-and-cues.md).
package struct AEPComposition: Sendable, Hashable, Codable {
    /// The AEP project (the render instruction's template name).
    package var project: String
    /// The composition inside the project.
    package var name: String
    package var width: Int
    package var height: Int
    package var fps: Int
    package var durationFrames: Int?
    package var description: String?
    /// The field keys, in the order of the description.
    package var fields: [AEPFieldKey]
    /// Every layer, named as in After Effects.
    package var layers: [AEPLayer]
    /// The longest one render of this composition may run (`max_render_seconds`); nil: the
    /// worker's limit (`HUB_MAX_RENDER_SECONDS`).
    package var maxRenderSeconds: Int?

    /// Tags every instruction of it requires of its worker (`requires`, normalized by
    /// ``RenderTags``); nil: none. They do not change what is rendered, so not its version.
    package var requiredTags: [String]?
    /// The most renders of it the farm runs at once (`max_concurrent_renders`); nil: no limit.
    package var maxConcurrentRenders: Int?

    /// What `max_render_seconds` may be: a second to a week (the worker's own range).
    package static let maxRenderSecondsRange = 1...604_800
    /// What `max_concurrent_renders` may be.
    package static let maxConcurrentRendersRange = 1...10_000

    package init(project: String, name: String, width: Int = 1920, height: Int = 1080, fps: Int = 30, durationFrames: Int? = nil,
                description: String? = nil, fields: [AEPFieldKey], layers: [AEPLayer], maxRenderSeconds: Int? = nil,
                requiredTags: [String]? = nil, maxConcurrentRenders: Int? = nil) {
        self.maxRenderSeconds = maxRenderSeconds
        self.requiredTags = requiredTags?.isEmpty == true ? nil : requiredTags
        self.maxConcurrentRenders = maxConcurrentRenders
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
    package func field(_ key: String) -> AEPFieldKey? { fields.first { $0.key == key } }
}

/// How one piece of data reaches layers: a `slot` field fills numbered layers ("Name 1" …
/// "Name 30"), a `single` field fills one layer.
package struct AEPFieldKey: Sendable, Hashable, Codable {
    package enum Pattern: String, Sendable, Hashable, Codable { case slot, single }
    package enum Kind: String, Sendable, Hashable, Codable { case text, image }
    /// How numbers are written: `auto` and `number` group thousands (1,500,000), `plain` does not.
    package enum Format: String, Sendable, Hashable, Codable { case auto, number, plain }

    /// The data key (`name`, `chips`, `rank`, `flag`, …).
    package var key: String
    package var pattern: Pattern
    /// Layers of a slot field (nil for a single field).
    package var slotCount: Int?
    package var kind: Kind
    /// The layer name; `{n}` is the slot number ("Name {n}").
    package var layerPattern: String
    /// Binding fails when the data lacks this field (for a slot field: in any row).
    package var required: Bool
    package var format: Format
    /// The media source an image value resolves through (`flag`, `profile`); nil: used as is.
    package var mediaKind: String?

    package init(key: String, pattern: Pattern, slotCount: Int? = nil, kind: Kind = .text, layerPattern: String,
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
    package func layerName(slot n: Int? = nil) -> String {
        guard let n else { return layerPattern }
        return layerPattern.replacingOccurrences(of: "{n}", with: String(n))
    }

    /// Every layer this field fills.
    package var layerNames: [String] {
        switch pattern {
        case .single: [layerPattern]
        case .slot: (1...max(1, slotCount ?? 1)).map { layerName(slot: $0) }
        }
    }
}

/// A layer of a composition.
package struct AEPLayer: Sendable, Hashable, Codable {
    package enum LayerType: String, Sendable, Hashable, Codable { case text, image, other }
    package var name: String
    package var type: LayerType
    /// The field that fills it, if any.
    package var fieldKey: String?
    /// Its slot number, for a slot field.
    package var slot: Int?

    package init(name: String, type: LayerType, fieldKey: String? = nil, slot: Int? = nil) {
        self.name = name
        self.type = type
        self.fieldKey = fieldKey
        self.slot = slot
    }
}

/// Where images of one kind come from: `{value}` in the pattern is replaced by the value (a
/// country code for `flag`, a photo path for `profile`).
package struct AEPMediaSource: Sendable, Hashable, Codable {
    package var kind: String
    package var pathPattern: String
    /// Used when the value is empty.
    package var fallback: String?

    package init(kind: String, pathPattern: String, fallback: String? = nil) {
        self.kind = kind
        self.pathPattern = pathPattern
        self.fallback = fallback
    }

    /// The path for `value`, or the fallback for an empty value. A value that only fills part of
    /// the pattern (`/srv/media/flags/{value}.png`) must be a plain name
    /// (``MediaPolicy/isPlainName(_:)``): one that is a path or URL gets the fallback too, so data
    /// never makes the pattern lead elsewhere. A pattern that is the value itself (`{value}`: a
    /// photo path) passes it on; the media policy judges the result.
    package func resolve(_ value: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return fallback }
        let whole = pathPattern == "{value}" || pathPattern == "{value_lower}"
        guard whole || MediaPolicy.isPlainName(trimmed) else { return fallback }
        let value = kind == "flag" ? trimmed.uppercased() : trimmed
        return pathPattern.replacingOccurrences(of: "{value}", with: value)
            .replacingOccurrences(of: "{value_lower}", with: value.lowercased())
    }
}
