import Foundation

/// JSON as the executables print it for scripts: pretty, sorted keys, ISO 8601 dates, and
/// snake_case keys — the style of the HTTP API and the seeds — for every `--json` of every
/// executable.
///
/// Property names are converted (`retryCount` → `retry_count`, `workerID` → `worker_id`); keys
/// that are already snake_case (explicit `CodingKeys`) stay as they are. The keys of a
/// `[String: …]` dictionary are data (layer names, template names, field keys) and are printed
/// exactly as stored; a dictionary keyed by an enum is converted like a property, so such enums
/// have snake_case raw values.
package enum JSONOutput {
    /// The encoder.
    package static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    /// Encodes `value`.
    package static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
