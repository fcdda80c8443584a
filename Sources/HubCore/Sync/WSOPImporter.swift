import Foundation
import HubPostgres
import Logging

/// Imports WSOP+ exports (SPEC §4.2; the accepted format is in Docs/wsop-import.md).
///
/// An export folder holds any of `Events.json`, `tournament_data.csv`, `Players.json`,
/// `ChipCounts.csv`, `Standings.csv`, `payout_structure.csv` and `broadcast_schedule.csv` (each
/// also under the aliases of ``WSOPEntity/fileNames``); folders below the given one are exports
/// too. Each file is checked completely, then written in one transaction with its import log row;
/// a file whose content was imported before (by hash) is unchanged. Events, tournament info and
/// players are upserted, chip counts appended as a time series (0 = eliminated), standings stored
/// as snapshots, a payout file replaces its events' structures, schedule rows are upserted.
package struct WSOPImporter: Sendable {
    /// The database.
    package let pool: PostgresPool
    /// Where player photos may point. A photo it refuses, and a country that is not a plain name
    /// (it becomes part of a flag path), is dropped with a warning (``SyncCounts/warnings``); the
    /// row still imports.
    package var media: MediaPolicy
    /// The largest export file read (``HubSetting/syncMaxFileBytes``): a larger one is refused unread.
    package var maxFileBytes = InputFile.defaultMaxBytes
    let logger: Logger

    /// Creates an importer.
    package init(pool: PostgresPool, media: MediaPolicy = MediaPolicy(), logger: Logger = Logger(label: "hub.sync.wsop")) {
        self.pool = pool
        self.media = media
        self.logger = logger
    }

    /// What an import did, in total and per entity.
    package struct Report: Sendable {
        package var counts = SyncCounts()
        package var byEntity: [WSOPEntity: SyncCounts] = [:]
    }

    /// A file found in an export folder.
    package struct File: Sendable, Hashable {
        package var path: String
        package var entity: WSOPEntity
    }

    /// The export files under `directory` (it and every folder below it), folders in path order,
    /// entities in import order.
    /// - Throws: ``HubError`` `.notFound` when the folder does not exist.
    package static func scan(_ directory: String) throws -> [File] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HubError(.notFound, "WSOP+ export folder \(directory) does not exist: check the path")
        }
        let root = URL(fileURLWithPath: directory).standardizedFileURL
        var folders = [root]
        if let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey], options: [.skipsHiddenFiles]) {
            for case let url as URL in enumerator where (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
                folders.append(url.standardizedFileURL)
            }
        }
        var files: [File] = []
        for folder in folders.sorted(by: { $0.path < $1.path }) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for entity in WSOPEntity.allCases {
                for fileName in entity.fileNames {
                    if let name = names.first(where: { $0.lowercased() == fileName.lowercased() }) {
                        files.append(File(path: folder.appendingPathComponent(name).path, entity: entity))
                    }
                }
            }
        }
        return files
    }

    /// Imports the files of ``scan(_:)``.
    /// - Throws: only when the database fails for reasons that are not about a file.
    package func importFiles(_ files: [File], runID: Int64? = nil, progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Report {
        var report = Report()
        for (index, file) in files.enumerated() {
            var logger = self.logger
            logger[metadataKey: "file"] = "\(file.path)"
            var counts = SyncCounts()
            counts.filesSeen = 1
            do {
                var warnings: [SyncFileError] = []
                let outcome = try await importOne(file, runID: runID, warnings: &warnings)
                for warning in warnings { logger.warning("dropped \(warning)") }
                if let outcome {
                    counts.filesImported = 1
                    counts.rowsCreated = outcome.created
                    counts.rowsUpdated = outcome.updated
                    counts.warnings = warnings
                } else {
                    counts.filesUnchanged = 1
                }
            } catch let error as SyncFileError {
                logger.warning("skipped \(error)")
                counts.filesFailed = 1
                counts.errors = [error]
                _ = try? await pool.query("""
                    INSERT INTO wsop_import_logs (file_name, file_hash, entity, status, error, sync_run_id)
                    VALUES (\(file.path), \(hash(of: file.path)), \(file.entity.rawValue), 'failed', \(error.description), \(runID))
                    """)
            }
            report.counts.add(counts)
            report.byEntity[file.entity, default: SyncCounts()].add(counts)
            HubMetrics.syncFiles(1, source: "wsop", outcome: counts.filesImported > 0 ? "imported" : counts.filesFailed > 0 ? "failed" : "unchanged")
            progress(index + 1, files.count)
        }
        return report
    }

    /// The hash of the file a failure log names: of its content when it can be read within the
    /// cap, of nothing otherwise (a refused file is never read past the cap to name it).
    func hash(of path: String) -> String {
        GFXImporter.sha256((try? InputFile.read(path, maxBytes: maxFileBytes)) ?? Data())
    }

    /// Imports one file.
    /// - Parameter warnings: receives the values dropped from the file's rows (see ``media``).
    /// - Returns: rows created and updated, or nil when its content was imported before.
    /// - Throws: ``SyncFileError`` when the file is skipped.
    func importOne(_ file: File, runID: Int64?, warnings: inout [SyncFileError]) async throws -> (created: Int, updated: Int)? {
        let data = try InputFile.readExport(file.path, maxBytes: maxFileBytes)
        let hash = GFXImporter.sha256(data)
        let known = try await pool.query("""
            SELECT 1 FROM wsop_import_logs WHERE file_hash = \(hash) AND entity = \(file.entity.rawValue) AND status = 'imported'
            """)
        if !known.isEmpty { return nil }
        let modified = (try? FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date) ?? Date()
        let fileTime = ISO8601DateFormatter().string(from: modified)
        var attempt = 0
        do {
            let writer = WSOPWriter(file: file, hash: hash, rowsRead: 0, runID: runID)
            // Checked once, before the first try: photos and countries the renderers must not get.
            var dropped: [SyncFileError] = []
            var players: [WSOPRecords.Player] = []
            var chipCounts: [WSOPRecords.ChipCount] = []
            var standings: [WSOPRecords.Standing] = []
            switch file.entity {
            case .players: players = screen(try WSOPRecords.players(data), file: file.path, dropped: &dropped)
            case .chipCounts: chipCounts = screen(try WSOPRecords.chipCounts(data, defaultTime: fileTime), file: file.path, dropped: &dropped)
            case .standings: standings = screen(try WSOPRecords.standings(data, defaultTime: fileTime), file: file.path, dropped: &dropped)
            default: break
            }
            warnings = dropped
            while true {
                attempt += 1
                do {
                    switch file.entity {
                    case .events: return try await writer.write(events: try WSOPRecords.events(data), pool: pool)
                    case .players: return try await writer.write(players: players, pool: pool)
                    case .chipCounts: return try await writer.write(chipCounts: chipCounts, pool: pool)
                    case .standings: return try await writer.write(standings: standings, pool: pool)
                    case .tournaments: return try await writer.write(tournaments: try WSOPRecords.tournaments(data), pool: pool)
                    case .payouts: return try await writer.write(payouts: try WSOPRecords.payouts(data), pool: pool)
                    case .schedule: return try await writer.write(schedule: try WSOPRecords.schedule(data), pool: pool)
                    }
                } catch let error as PostgresError where [.connectionClosed, .connectionFailed].contains(error.code) && attempt < 8 {
                    // The server went away with the file's transaction: write it again once the pool reconnects.
                    logger.warning("PostgreSQL connection lost while importing \(file.path) (\(error.message)); retrying")
                    try await Task.sleep(for: .milliseconds(100 << (attempt - 1)))
                }
            }
        } catch let error as ContentError {
            throw SyncFileError(path: file.path, position: error.position, reason: error.reason)
        } catch let error as PostgresError where error.code == .server {
            throw SyncFileError(path: file.path, reason: "the database refused the file's data: \(error.message)")
        } catch let error as PostgresError where error.code == .invalidParameter {
            // A value no PostgreSQL text can hold (a NUL character): the driver refused it before
            // anything was sent, and the transaction rolled back.
            throw SyncFileError(path: file.path, reason: "the file's data cannot be stored: \(error.message)")
        }
    }

    // MARK: Media values

    /// The players with every photo ``media`` refuses and every country that is not a plain name
    /// dropped, each noted in `dropped`.
    func screen(_ players: [WSOPRecords.Player], file: String, dropped: inout [SyncFileError]) -> [WSOPRecords.Player] {
        players.enumerated().map { index, player in
            var player = player
            if let photo = player.photo, !photo.trimmingCharacters(in: .whitespaces).isEmpty {
                if let refusal = media.refusal(of: photo) {
                    dropped.append(SyncFileError(path: file, position: "[\(index)].photo",
                        reason: "the photo of player \(player.key) was dropped (the player imported without it): '\(Self.shown(photo))' — \(refusal.reason)"))
                    player.photo = nil
                }
            }
            player.country = screenCountry(player.country, of: "player \(player.key)", file: file, position: "[\(index)].country", dropped: &dropped)
            return player
        }
    }

    func screen(_ counts: [WSOPRecords.ChipCount], file: String, dropped: inout [SyncFileError]) -> [WSOPRecords.ChipCount] {
        counts.map { count in
            var count = count
            count.player.country = screenCountry(count.player.country, of: count.player.name, file: file,
                                                 position: "line \(count.line), column country", dropped: &dropped)
            return count
        }
    }

    func screen(_ standings: [WSOPRecords.Standing], file: String, dropped: inout [SyncFileError]) -> [WSOPRecords.Standing] {
        standings.map { standing in
            var standing = standing
            standing.player.country = screenCountry(standing.player.country, of: standing.player.name, file: file,
                                                    position: "line \(standing.line), column country", dropped: &dropped)
            return standing
        }
    }

    /// `country`, or nil (noted in `dropped`) when it is not a plain name: it fills a flag path's
    /// `{value}`, so a path or URL there would lead the renderer elsewhere.
    func screenCountry(_ country: String?, of who: String, file: String, position: String, dropped: inout [SyncFileError]) -> String? {
        guard let country, !country.trimmingCharacters(in: .whitespaces).isEmpty else { return country }
        guard MediaPolicy.isPlainName(country) else {
            dropped.append(SyncFileError(path: file, position: position,
                reason: "the country of \(who) was dropped (imported without it): '\(Self.shown(country))' is not a country code or name (letters, digits, spaces, - . ' ( ) only)"))
            return nil
        }
        return country
    }

    /// A value for a message: at most 120 characters, control characters as `?`.
    static func shown(_ value: String) -> String {
        let clean = String(value.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        return clean.count > 120 ? String(clean.prefix(120)) + "…" : clean
    }
}
