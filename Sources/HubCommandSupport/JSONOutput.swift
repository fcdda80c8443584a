import Foundation

/// JSON as the executables print it for scripts: pretty, sorted keys, ISO 8601 dates.
public enum JSONOutput {
    /// Encodes `value`.
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
