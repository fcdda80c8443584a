import Crypto
import Foundation

/// A composition description file (`hubctl aep import FILE`; format in Docs/players-and-cues.md):
/// the compositions of an AEP project with their field keys and extra layers, and the media
/// sources images resolve through. ``parse(_:file:)`` checks it completely before anything is
/// written.
package struct AEPDescription: Sendable, Hashable {
    package var compositions: [AEPComposition]
    package var mediaSources: [AEPMediaSource]
    /// The version the file declares (`"version"` at the top), for every project it describes.
    package var declaredVersion: String?

    /// Each described project's version: the declared one, else the first 16 hex digits of the
    /// SHA-256 of its compositions as read (sorted keys), so any change to them is a new version.
    package var projectVersions: [String: (version: String, declared: Bool)] {
        var versions: [String: (String, Bool)] = [:]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for project in Set(compositions.map(\.project)) {
            if let declaredVersion { versions[project] = (declaredVersion, true); continue }
            // What a worker must have and how many render at once change no pixel: not the version.
            let mine = compositions.filter { $0.project == project }.sorted { $0.name < $1.name }.map { composition in
                var rendered = composition
                rendered.requiredTags = nil
                rendered.maxConcurrentRenders = nil
                return rendered
            }
            let data = (try? encoder.encode(mine)) ?? Data()
            versions[project] = (Hex.string(SHA256.hash(data: data).prefix(8)), false)
        }
        return versions
    }

    struct File: Decodable {
        var project: String?
        var version: String?
        var compositions: [Composition]?
        var mediaSources: [Media]?
        /// The limit of every composition of the file that sets none itself.
        var maxRenderSeconds: Int?
        /// Tags every composition of the file requires (added to a composition's own).
        var requires: [String]?
        /// The concurrency limit of every composition of the file that sets none itself.
        var maxConcurrentRenders: Int?

        enum CodingKeys: String, CodingKey {
            case project, version, compositions, requires
            case mediaSources = "media_sources"
            case maxRenderSeconds = "max_render_seconds"
            case maxConcurrentRenders = "max_concurrent_renders"
        }

        struct Composition: Decodable {
            var project: String?
            var name: String?
            var width: Int?
            var height: Int?
            var fps: Int?
            var durationFrames: Int?
            var description: String?
            var fields: [Field]?
            var layers: [Layer]?
            var maxRenderSeconds: Int?
            var requires: [String]?
            var maxConcurrentRenders: Int?

            enum CodingKeys: String, CodingKey {
                case project, name, width, height, fps, description, fields, layers, requires
                case durationFrames = "duration_frames"
                case maxRenderSeconds = "max_render_seconds"
                case maxConcurrentRenders = "max_concurrent_renders"
            }
        }

        struct Field: Decodable {
            var key: String?
            var pattern: String?
            var slots: Int?
            var kind: String?
            var layer: String?
            var required: Bool?
            var format: String?
            var media: String?
        }

        struct Layer: Decodable {
            var name: String?
            var type: String?
        }

        struct Media: Decodable {
            var kind: String?
            var path: String?
            var fallback: String?
        }
    }

    /// Parses and checks a description.
    /// - Throws: ``HubError`` `.usage` listing every problem (a duplicate layer, an unknown
    ///   pattern, a slot field without a slot count, …) with where it is.
    package static func parse(_ data: Data, file: String = "description") throws -> AEPDescription {
        let decoded: File
        do {
            decoded = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw HubError(.usage, "\(file) is not a composition description: \(JSONValue.reason(error))")
        }
        var problems: [String] = []
        if let limit = decoded.maxRenderSeconds, !AEPComposition.maxRenderSecondsRange.contains(limit) {
            problems.append("max_render_seconds must be \(AEPComposition.maxRenderSecondsRange.lowerBound)…\(AEPComposition.maxRenderSecondsRange.upperBound) seconds, not \(limit)")
        }
        let concurrency = AEPComposition.maxConcurrentRendersRange
        if let limit = decoded.maxConcurrentRenders, !concurrency.contains(limit) {
            problems.append("max_concurrent_renders must be \(concurrency.lowerBound)…\(concurrency.upperBound), not \(limit)")
        }
        var fileTags: [String] = []
        do { fileTags = try RenderTags.normalize(decoded.requires ?? []) } catch let error as HubError { problems.append("requires: \(error.message)") }
        var compositions: [AEPComposition] = []
        var seenCompositions: Set<String> = []
        let keyPattern = /^[a-z][a-z0-9_]*$/
        for (index, item) in (decoded.compositions ?? []).enumerated() {
            let place = "compositions[\(index)]"
            guard let name = item.name?.trimmingCharacters(in: .whitespaces), !name.isEmpty else {
                problems.append("\(place): the composition has no name")
                continue
            }
            guard let project = (item.project ?? decoded.project)?.trimmingCharacters(in: .whitespaces), !project.isEmpty else {
                problems.append("\(place) \(name): no project (set \"project\" at the top or on the composition)")
                continue
            }
            let label = "composition \"\(name)\""
            if !seenCompositions.insert("\(project)\u{1F}\(name)").inserted {
                problems.append("\(label) of project \(project) is described twice")
            }
            for (key, value) in [("width", item.width), ("height", item.height), ("fps", item.fps), ("duration_frames", item.durationFrames)] {
                if let value, value <= 0 { problems.append("\(label): \(key) must be positive, not \(value)") }
            }
            if let limit = item.maxRenderSeconds, !AEPComposition.maxRenderSecondsRange.contains(limit) {
                problems.append("\(label): max_render_seconds must be \(AEPComposition.maxRenderSecondsRange.lowerBound)…\(AEPComposition.maxRenderSecondsRange.upperBound) seconds, not \(limit)")
            }
            if let limit = item.maxConcurrentRenders, !concurrency.contains(limit) {
                problems.append("\(label): max_concurrent_renders must be \(concurrency.lowerBound)…\(concurrency.upperBound), not \(limit)")
            }
            var tags = fileTags
            do { tags = try RenderTags.normalize(fileTags + (item.requires ?? [])) } catch let error as HubError { problems.append("\(label): requires: \(error.message)") }
            var fields: [AEPFieldKey] = []
            var layers: [AEPLayer] = []
            var layerOrigin: [String: String] = [:]
            func addLayer(_ layer: AEPLayer, origin: String) {
                if let first = layerOrigin[layer.name] {
                    problems.append("\(label): duplicate layer \"\(layer.name)\" (from \(first) and \(origin))")
                } else {
                    layerOrigin[layer.name] = origin
                    layers.append(layer)
                }
            }
            var seenKeys: Set<String> = []
            for (fieldIndex, field) in (item.fields ?? []).enumerated() {
                let where_ = "\(label) fields[\(fieldIndex)]"
                guard let key = field.key, key.wholeMatch(of: keyPattern) != nil else {
                    problems.append("\(where_): key \(field.key.map { "\"\($0)\"" } ?? "missing") must be lower-case letters, digits and _")
                    continue
                }
                if !seenKeys.insert(key).inserted { problems.append("\(label): duplicate field key \"\(key)\"") }
                guard let pattern = AEPFieldKey.Pattern(rawValue: field.pattern ?? "single") else {
                    problems.append("\(where_) \(key): pattern must be slot or single, not \"\(field.pattern ?? "")\"")
                    continue
                }
                guard let kind = AEPFieldKey.Kind(rawValue: field.kind ?? "text") else {
                    problems.append("\(where_) \(key): kind must be text or image, not \"\(field.kind ?? "")\"")
                    continue
                }
                guard let format = AEPFieldKey.Format(rawValue: field.format ?? "auto") else {
                    problems.append("\(where_) \(key): format must be auto, number or plain, not \"\(field.format ?? "")\"")
                    continue
                }
                if field.media != nil && kind != .image { problems.append("\(where_) \(key): \"media\" needs kind image") }
                var slots: Int?
                var layer = field.layer?.trimmingCharacters(in: .whitespaces) ?? ""
                let title = key.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
                switch pattern {
                case .slot:
                    guard let count = field.slots, (1...500).contains(count) else {
                        problems.append("\(where_) \(key): a slot field needs \"slots\" between 1 and 500")
                        continue
                    }
                    slots = count
                    if layer.isEmpty { layer = "\(title) {n}" } else if !layer.contains("{n}") { layer += " {n}" }
                case .single:
                    if field.slots != nil { problems.append("\(where_) \(key): \"slots\" is only for slot fields") }
                    if layer.isEmpty { layer = title }
                    if layer.contains("{n}") { problems.append("\(where_) \(key): a single field's layer cannot contain {n}") }
                }
                let fieldKey = AEPFieldKey(key: key, pattern: pattern, slotCount: slots, kind: kind, layerPattern: layer,
                                           required: field.required ?? false, format: format, mediaKind: field.media)
                fields.append(fieldKey)
                for (slotIndex, layerName) in fieldKey.layerNames.enumerated() {
                    addLayer(AEPLayer(name: layerName, type: kind == .image ? .image : .text, fieldKey: key,
                                      slot: pattern == .slot ? slotIndex + 1 : nil),
                             origin: "field \(key)")
                }
            }
            for (layerIndex, layer) in (item.layers ?? []).enumerated() {
                guard let layerName = layer.name?.trimmingCharacters(in: .whitespaces), !layerName.isEmpty else {
                    problems.append("\(label) layers[\(layerIndex)]: the layer has no name")
                    continue
                }
                guard let type = AEPLayer.LayerType(rawValue: layer.type ?? "other") else {
                    problems.append("\(label) layer \"\(layerName)\": type must be text, image or other")
                    continue
                }
                addLayer(AEPLayer(name: layerName, type: type), origin: "layers[\(layerIndex)]")
            }
            if fields.isEmpty { problems.append("\(label): no fields (nothing could be bound to it)") }
            compositions.append(AEPComposition(project: project, name: name, width: item.width ?? 1920, height: item.height ?? 1080,
                                               fps: item.fps ?? 30, durationFrames: item.durationFrames, description: item.description,
                                               fields: fields, layers: layers,
                                               maxRenderSeconds: item.maxRenderSeconds ?? decoded.maxRenderSeconds,
                                               requiredTags: tags, maxConcurrentRenders: item.maxConcurrentRenders ?? decoded.maxConcurrentRenders))
        }
        var media: [AEPMediaSource] = []
        for (index, source) in (decoded.mediaSources ?? []).enumerated() {
            guard let kind = source.kind, kind.wholeMatch(of: keyPattern) != nil else {
                problems.append("media_sources[\(index)]: kind must be lower-case letters, digits and _")
                continue
            }
            guard let path = source.path, path.contains("{value}") || path.contains("{value_lower}") else {
                problems.append("media source \(kind): path must contain {value} (e.g. /srv/media/flags/{value}.png)")
                continue
            }
            if media.contains(where: { $0.kind == kind }) { problems.append("media source \(kind) is described twice") }
            media.append(AEPMediaSource(kind: kind, pathPattern: path, fallback: source.fallback))
        }
        if compositions.isEmpty && media.isEmpty && problems.isEmpty {
            problems.append("no compositions and no media sources")
        }
        guard problems.isEmpty else {
            throw HubError(.usage, "\(file) was not imported (nothing written): " + problems.joined(separator: "; "))
        }
        if let version = decoded.version, version.trimmingCharacters(in: .whitespaces).isEmpty || version.count > 200 {
            throw HubError(.usage, "\(file): version must be 1…200 characters")
        }
        return AEPDescription(compositions: compositions, mediaSources: media,
                              declaredVersion: decoded.version?.trimmingCharacters(in: .whitespaces))
    }
}
