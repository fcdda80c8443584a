import Crypto
import Foundation

/// One versioned schema change: the SQL to apply it and the SQL to revert it.
package struct Migration: Sendable, Hashable {
    /// The version (the `NNNN` of `Schema/NNNN_name.up.sql`), starting at 1.
    package var version: Int
    /// The name part of the file name.
    package var name: String
    /// The SQL that applies it.
    package var up: String
    /// The SQL that reverts it.
    package var down: String

    /// Creates a migration.
    package init(version: Int, name: String, up: String, down: String) {
        self.version = version
        self.name = name
        self.up = up
        self.down = down
    }

    /// `0001_base`.
    package var id: String { String(format: "%04d_%@", version, name) }

    /// SHA-256 (hex) of the up and down SQL with line endings, trailing blanks and the final
    /// newline normalised, so the same files embedded in a binary or read from disk give the same
    /// checksum, and an edit to either is noticed.
    package var checksum: String {
        let digest = SHA256.hash(data: Data((Self.normalize(up) + "\n-- down --\n" + Self.normalize(down)).utf8))
        return Hex.string(digest)
    }

    /// The text as the checksum sees it.
    static func normalize(_ sql: String) -> String {
        sql.replacingOccurrences(of: "\r\n", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in
                var l = Substring(line)
                while l.last == " " || l.last == "\t" { l = l.dropLast() }
                return String(l)
            }
            .joined(separator: "\n")
            .trimmingCharacters(in: .newlines)
    }

    /// Reads `NNNN_name.up.sql` / `.down.sql` pairs from a directory, in version order.
    /// - Throws: ``HubError`` `.migration` for a missing down file, a malformed name or a duplicate version.
    package static func load(directory: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        var migrations: [Migration] = []
        for file in files.sorted() where file.hasSuffix(".up.sql") {
            let base = String(file.dropLast(".up.sql".count))
            guard let underscore = base.firstIndex(of: "_"), let version = Int(base[..<underscore]), version > 0 else {
                throw HubError(.migration, "\(file): migration files are named NNNN_name.up.sql")
            }
            let downPath = directory.appendingPathComponent(base + ".down.sql").path
            guard let down = FileManager.default.contents(atPath: downPath) else {
                throw HubError(.migration, "\(file) has no \(base).down.sql: every migration needs a down")
            }
            let up = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            if migrations.contains(where: { $0.version == version }) {
                throw HubError(.migration, "two migrations have version \(version)")
            }
            migrations.append(Migration(version: version, name: String(base[base.index(after: underscore)...]), up: up,
                                        down: String(decoding: down, as: UTF8.self)))
        }
        return migrations
    }
}

/// The hub's schema as this build knows it.
package enum HubSchema {
    /// Every migration this build carries, in version order (generated from `Schema/` by `scripts/embed-schema`).
    package static var migrations: [Migration] { embedded }

    /// The schema version this build expects (the last migration's version).
    package static var expectedVersion: Int { embedded.last?.version ?? 0 }
}
