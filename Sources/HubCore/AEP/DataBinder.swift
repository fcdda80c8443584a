import Foundation

/// Binds data onto a composition's layers (schema doc §5.2): list data (`rows`) fills the
/// numbered layers of slot fields ("Name 1" … "Name 30"), `values` fill single fields; numbers are
/// written for broadcast (1,500,000), images resolve through media sources. The result — layer
/// name to value — is what the renderer receives. Data that does not fit is refused before
/// anything is rendered.
package struct DataBinder: Sendable {
    /// The media sources by kind.
    package var mediaSources: [String: AEPMediaSource]

    package init(mediaSources: [AEPMediaSource]) {
        self.mediaSources = Dictionary(mediaSources.map { ($0.kind, $0) }, uniquingKeysWith: { $1 })
    }

    /// Binds `rows` and `values` onto `composition`.
    ///
    /// Every layer of every field gets a value: slots past the last row are blank, so a template
    /// never shows a stale entry.
    /// - Throws: ``HubError`` `.usage` listing every problem: more rows than a field has slots, a
    ///   required field missing (naming the row), an image kind without a media source, a value
    ///   that is a list or an object.
    package func bind(_ composition: AEPComposition, rows: [[String: JSONValue]] = [], values: [String: JSONValue] = [:]) throws -> [String: JSONValue] {
        var layers: [String: JSONValue] = [:]
        var problems: [String] = []
        for field in composition.fields {
            switch field.pattern {
            case .single:
                let value = values[field.key] ?? .null
                if field.required && Self.isBlank(value) {
                    problems.append("required field \"\(field.key)\" (layer \(field.layerPattern)) has no value")
                }
                do {
                    layers[field.layerName()] = .string(try render(value, for: field))
                } catch let error as HubError {
                    problems.append(error.message)
                }
            case .slot:
                let slots = field.slotCount ?? 1
                let overflow = rows.indices.filter { $0 >= slots && !Self.isBlank(rows[$0][field.key] ?? .null) }
                if !overflow.isEmpty {
                    problems.append("\(rows.count) rows do not fit field \"\(field.key)\" of \(composition.name): it has \(slots) slots (layers \(field.layerName(slot: 1)) … \(field.layerName(slot: slots)))")
                }
                for slot in 1...slots {
                    let value = slot <= rows.count ? rows[slot - 1][field.key] ?? .null : .null
                    if field.required && slot <= rows.count && Self.isBlank(value) {
                        problems.append("required field \"\(field.key)\" is missing in row \(slot)")
                    }
                    do {
                        layers[field.layerName(slot: slot)] = .string(slot <= rows.count ? try render(value, for: field) : "")
                    } catch let error as HubError {
                        problems.append("row \(slot): \(error.message)")
                    }
                }
            }
        }
        guard problems.isEmpty else {
            throw HubError(.usage, "the data does not fit composition \(composition.project)/\(composition.name) (nothing was rendered): "
                + Self.summarize(problems))
        }
        return layers
    }

    /// The text or image path for one value.
    func render(_ value: JSONValue, for field: AEPFieldKey) throws -> String {
        switch field.kind {
        case .image:
            let text: String
            switch value {
            case .string(let s): text = s
            case .null: text = ""
            default: throw HubError(.usage, "image field \"\(field.key)\" needs a text value, not \(value.canonicalText)")
            }
            guard let kind = field.mediaKind else { return text }
            guard let source = mediaSources[kind] else {
                throw HubError(.usage, "field \"\(field.key)\" resolves through media source \"\(kind)\", which is not registered (hubctl aep import a file with media_sources)")
            }
            return source.resolve(text) ?? ""
        case .text:
            switch value {
            case .null: return ""
            case .string(let s):
                if field.format == .number, let number = Int64(s.filter { $0 != "," && $0 != " " }) { return BroadcastFormat.number(number) }
                return s
            case .integer(let i): return field.format == .plain ? String(i) : BroadcastFormat.number(i)
            case .number(let d):
                if d.rounded() == d, abs(d) < 9e15 {
                    return field.format == .plain ? String(Int64(d)) : BroadcastFormat.number(Int64(d))
                }
                return String(format: "%.2f", d)
            case .bool(let b): return b ? "Yes" : "No"
            case .array, .object:
                throw HubError(.usage, "field \"\(field.key)\" needs a single value, not \(value.canonicalText.prefix(60))")
            }
        }
    }

    static func isBlank(_ value: JSONValue) -> Bool {
        switch value {
        case .null: true
        case .string(let s): s.trimmingCharacters(in: .whitespaces).isEmpty
        default: false
        }
    }

    /// At most eight problems, then how many more.
    static func summarize(_ problems: [String]) -> String {
        let shown = problems.prefix(8).joined(separator: "; ")
        return problems.count > 8 ? "\(shown); and \(problems.count - 8) more" : shown
    }
}

/// Numbers as a broadcast graphic writes them.
package enum BroadcastFormat {
    /// `1500000` → `1,500,000`; `-2500` → `-2,500`.
    package static func number(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        return value < 0 ? "-" + grouped : grouped
    }
}
