import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Finds PokerGFX exports under folders and decides which table each belongs to.
package enum GFXScanner {
    /// A file found by a scan.
    package struct File: Sendable, Hashable {
        /// Its path.
        package var path: String
        /// The feature table it belongs to.
        package var table: String
    }

    /// Every `.json` file under `directories`, recursively, in path order. File names may contain
    /// spaces and `=` (`PGFX_live_data_export GameID=638961224831992165.json`).
    ///
    /// The table is `table` when given (`hub-sync gfx --table GG`); otherwise the first folder
    /// below the scanned one (`NAS/GG/2025-10-15/…` scanned from `NAS` → `GG`), or the scanned
    /// folder's own name for files directly in it.
    /// - Throws: ``HubError`` `.notFound` for a folder that does not exist.
    package static func scan(_ directories: [String], table: String? = nil) throws -> [File] {
        var files: [File] = []
        let manager = FileManager.default
        for directory in directories {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: directory, isDirectory: &isDirectory) else {
                throw HubError(.notFound, "GFX folder \(directory) does not exist: check the path (or the NAS mount)")
            }
            let root = URL(fileURLWithPath: directory).standardizedFileURL
            if !isDirectory.boolValue {
                files.append(File(path: root.path, table: table ?? root.deletingLastPathComponent().lastPathComponent))
                continue
            }
            guard let enumerator = manager.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey],
                                                      options: [.skipsHiddenFiles]) else { continue }
            let rootComponents = root.pathComponents.count
            for case let url as URL in enumerator where url.pathExtension.lowercased() == "json" {
                // Folders are walked; anything else named *.json is listed — a link, a pipe or a
                // device is then refused by the read with its reason, never skipped in silence.
                var status = stat()
                guard lstat(url.path, &status) == 0, status.st_mode & S_IFMT != S_IFDIR else { continue }
                let components = url.standardizedFileURL.pathComponents
                let owner = components.count > rootComponents + 1 ? components[rootComponents] : root.lastPathComponent
                files.append(File(path: url.standardizedFileURL.path, table: table ?? owner))
            }
        }
        return files.sorted { $0.path < $1.path }
    }
}
