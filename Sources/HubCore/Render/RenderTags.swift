import Foundation

/// Capability tags: what a worker's machine has (an After Effects version, a GPU, a font
/// package: `ae-2025`, `gpu`, `cyprusdesign`) and what an instruction requires of it.
///
/// A tag is 1–64 characters: letters, digits, `.`, `_` and `-`, starting with a letter or digit.
/// Tags compare case-insensitively and are kept in lower case, sorted and without repeats, so
/// `--tags GPU,ae-2025` and `--requires gpu` match.
package enum RenderTags {
    /// The longest tag accepted.
    package static let maxLength = 64
    /// The most tags one worker or one instruction may carry.
    package static let maxCount = 32

    /// The tags of a comma-separated list (`ae-2025, gpu`); empty items are ignored.
    /// - Throws: ``HubError`` `.usage` naming the first tag that is not one.
    package static func parse(_ list: String) throws -> [String] {
        try normalize(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// `tags` in lower case, sorted, without repeats.
    /// - Throws: ``HubError`` `.usage` naming the first tag that is not one, or too many tags.
    package static func normalize(_ tags: [String]) throws -> [String] {
        var seen = Set<String>()
        for raw in tags {
            let tag = raw.lowercased()
            guard isValid(tag) else {
                throw HubError(.usage, "'\(raw)' is not a tag: use 1…\(maxLength) letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. ae-2025, gpu)")
            }
            seen.insert(tag)
        }
        guard seen.count <= maxCount else { throw HubError(.usage, "\(seen.count) tags given; at most \(maxCount)") }
        return seen.sorted()
    }

    static func isValid(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        func alphanumeric(_ b: UInt8) -> Bool { (0x61...0x7a).contains(b) || (0x30...0x39).contains(b) }
        guard (1...maxLength).contains(bytes.count), alphanumeric(bytes[0]) else { return false }
        return bytes.allSatisfy { alphanumeric($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d }
    }

    /// The consumer group a worker with `tags` reads dispatch signals in: workers with the same
    /// tags share one (a signal wakes one of them); each other set of tags has its own, so every
    /// kind of worker hears every signal and the claim decides. Untagged workers keep `base`.
    package static func group(base: String, tags: [String]) -> String {
        tags.isEmpty ? base : "\(base):\(tags.joined(separator: ","))"
    }
}
