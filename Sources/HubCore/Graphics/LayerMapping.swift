import Foundation
import Yams

/// How one After Effects project names its layers (reference/render-client/CyprusDesign.yaml):
/// per composition, a field key (`slot1_name`, `event_name`) to the layer it fills (`Name 1`),
/// plus project-wide field values (`global.common_fields`). A field without an entry fills the
/// layer named like the key itself.
package struct LayerMapping: Sendable, Hashable, Codable {
    /// The AE project (the render instruction's template).
    package var project: String
    /// Composition → field key → layer name.
    package var compositions: [String: [String: String]]
    /// Field values every composition of the project gets unless it has its own.
    package var commonFields: [String: String]

    package init(project: String, compositions: [String: [String: String]] = [:], commonFields: [String: String] = [:]) {
        self.project = project
        self.compositions = compositions
        self.commonFields = commonFields
    }

    /// The layer `key` fills in `composition`: the mapped name, else the key.
    package func layerName(composition: String, key: String) -> String {
        compositions[composition]?[key] ?? key
    }

    /// Parses a mapping file in the CyprusDesign.yaml format: `template.name` (the project, or
    /// `project` when given), `compositions.<name>.field_mappings` (key → layer; a null value
    /// means the layer does not exist and is skipped), `global.common_fields`. Other keys
    /// (`layer_info`, `description`, `transformations`) are documentation and ignored.
    /// - Parameter project: overrides the file's `template.name`.
    /// - Throws: ``HubError`` `.usage` naming the line of a YAML error, a missing project name,
    ///   a mapping that is not key → text, or two fields mapped to one layer of a composition.
    /// The line of the first YAML alias (`*name` where a value starts) in `text`, outside quotes
    /// and comments. Aliases are refused before the YAML is read: a few hundred bytes of nested
    /// aliases ("billion laughs") expand to more nodes than memory holds, and comparing the keys
    /// they make held `hubctl graphics mapping import` for minutes (found by fuzzing).
    static func aliasLine(_ text: String) -> Int? {
        var line = 1
        var quote: UInt8? = nil
        var previous: UInt8 = 0x0A // the last byte that is not a space or tab
        var inComment = false
        var raw: UInt8 = 0x0A // the last byte
        for byte in text.utf8 {
            defer { raw = byte }
            if byte == 0x0A {
                line += 1
                inComment = false
                if quote == UInt8(ascii: "'") || quote == nil { previous = 0x0A }
                continue
            }
            if inComment { continue }
            if let open = quote {
                if byte == open { quote = nil; previous = byte }
                continue
            }
            switch byte {
            case 0x20, 0x09: continue
            case UInt8(ascii: "#") where raw == 0x0A || raw == 0x20 || raw == 0x09: inComment = true
            case UInt8(ascii: "\""), UInt8(ascii: "'") where [0x0A, UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "["), UInt8(ascii: "{"),
                                                               UInt8(ascii: ","), UInt8(ascii: "?")].contains(previous):
                quote = byte
            case UInt8(ascii: "*") where [0x0A, UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "["), UInt8(ascii: "{"),
                                          UInt8(ascii: ","), UInt8(ascii: "?")].contains(previous):
                return line
            default: break
            }
            previous = byte
        }
        return nil
    }

    package static func parse(yaml text: String, project: String? = nil) throws -> LayerMapping {
        if let line = aliasLine(text) {
            throw HubError(.usage, "the layer mapping uses a YAML alias (*name) on line \(line): mapping files do not need them; write the value out")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw HubError(.usage, "the layer mapping is not valid YAML: \(error)")
        } catch {
            throw HubError(.usage, "the layer mapping is not valid YAML: \(error)")
        }
        guard let root = node?.mapping else { throw HubError(.usage, "the layer mapping must be a YAML mapping with `template` and `compositions`") }
        let name = project ?? root["template"]?.mapping?["name"]?.string ?? root["project"]?.string
        guard let name, !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw HubError(.usage, "the layer mapping names no project: add template.name (or pass --project)")
        }
        var mapping = LayerMapping(project: name)
        if let compositions = root["compositions"] {
            guard let entries = compositions.mapping else { throw HubError(.usage, "`compositions` must be a mapping of composition names") }
            for (key, value) in entries {
                guard let composition = key.string, !composition.isEmpty else { throw HubError(.usage, "a composition name is empty (line \(key.mark?.line ?? 0))") }
                var fields: [String: String] = [:]
                var layersSeen: [String: String] = [:]
                if let fieldMappings = value.mapping?["field_mappings"] {
                    guard let pairs = fieldMappings.mapping else {
                        throw HubError(.usage, "compositions.\"\(composition)\".field_mappings must map field keys to layer names (line \(fieldMappings.mark?.line ?? 0))")
                    }
                    for (fieldNode, layerNode) in pairs {
                        guard let field = fieldNode.string, !field.isEmpty else { continue }
                        if layerNode.null != nil { continue }
                        guard case .scalar(let scalar) = layerNode, !scalar.string.isEmpty else {
                            throw HubError(.usage, "compositions.\"\(composition)\".field_mappings.\(field) must be a layer name (line \(layerNode.mark?.line ?? 0))")
                        }
                        if let other = layersSeen[scalar.string] {
                            throw HubError(.usage, "compositions.\"\(composition)\": fields \(other) and \(field) both fill layer \"\(scalar.string)\"")
                        }
                        layersSeen[scalar.string] = field
                        fields[field] = scalar.string
                    }
                }
                mapping.compositions[composition] = fields
            }
        }
        if let common = root["global"]?.mapping?["common_fields"]?.mapping {
            for (fieldNode, valueNode) in common {
                guard let field = fieldNode.string, case .scalar(let scalar) = valueNode else { continue }
                mapping.commonFields[field] = scalar.string
            }
        }
        return mapping
    }
}
