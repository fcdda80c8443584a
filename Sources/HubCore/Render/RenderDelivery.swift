import Crypto
import Foundation
import HubPostgres
import Logging

/// Where the completed outputs of one template go: a folder (the playout system's watch folder,
/// a NAS mount), set with `hubctl delivery set TEMPLATE DIRECTORY`.
package struct DeliveryTarget: Sendable, Hashable, Codable {
    package var template: String
    package var directory: String
    package var updatedBy: String
    package var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case template, directory
        case updatedBy = "updated_by"
        case updatedAt = "updated_at"
    }
}

/// One completed output's delivery: pending until a worker on the machine holding the file has
/// copied it into the target folder, then delivered with its path and SHA-256.
package struct Delivery: Sendable, Hashable, Codable {
    package var id: Int64
    package var instructionID: Int64
    package var template: String
    package var sourcePath: String
    package var directory: String
    package var host: String
    package var status: String
    package var attempts: Int
    package var lastError: String?
    package var nextAttemptAt: Date
    package var deliveredPath: String?
    package var checksum: String?
    package var bytes: Int64?
    package var deliveredAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, host, status, attempts, directory, checksum, bytes, template
        case instructionID = "instruction_id"
        case sourcePath = "source_path"
        case lastError = "last_error"
        case nextAttemptAt = "next_attempt_at"
        case deliveredPath = "delivered_path"
        case deliveredAt = "delivered_at"
    }

    static let columns: PostgresQuery = """
        id, instruction_id, source_path, directory, host, status, attempts, last_error, next_attempt_at,
        delivered_path, checksum, bytes, delivered_at, template
        """

    static func decode(_ row: PostgresRow) throws -> Delivery {
        Delivery(id: try row.decode(Int64.self, at: 0), instructionID: try row.decode(Int64.self, at: 1),
                 template: try row.decode(String.self, at: 13),
                 sourcePath: try row.decode(String.self, at: 2), directory: try row.decode(String.self, at: 3),
                 host: try row.decode(String.self, at: 4), status: try row.decode(String.self, at: 5),
                 attempts: try row.decode(Int.self, at: 6), lastError: try row.decode(String?.self, at: 7),
                 nextAttemptAt: try row.decode(Date.self, at: 8), deliveredPath: try row.decode(String?.self, at: 9),
                 checksum: try row.decode(String?.self, at: 10), bytes: try row.decode(Int64?.self, at: 11),
                 deliveredAt: try row.decode(Date?.self, at: 12))
    }
}

/// The delivery tables: targets per template, and the deliveries completions create.
package struct DeliveryStore: Sendable {
    package let pool: PostgresPool

    package init(pool: PostgresPool) { self.pool = pool }

    /// Sets where `template`'s completed outputs go. The folder must be an absolute path; it is
    /// checked by the worker that delivers (it may be a mount this machine does not have). The
    /// template's deliveries still owed move to the new folder and are due at once.
    /// - Returns: the target, and how many owed deliveries moved.
    /// - Throws: ``HubError`` `.usage` for an empty template or a relative path.
    @discardableResult
    package func setTarget(template: String, directory: String, actor: String) async throws -> (DeliveryTarget, Int) {
        let name = template.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw HubError(.usage, "the template name is empty") }
        guard directory.hasPrefix("/"), !directory.contains("\0") else {
            throw HubError(.usage, "the delivery folder must be an absolute path (got '\(directory)')")
        }
        let normalized = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        return try await pool.withTransaction { connection in
            let rows = try await connection.query("""
                INSERT INTO render_delivery_targets (template, directory, updated_by) VALUES (\(name), \(normalized), \(actor))
                ON CONFLICT (template) DO UPDATE SET directory = EXCLUDED.directory, updated_by = EXCLUDED.updated_by, updated_at = now()
                RETURNING template, directory, updated_by, updated_at
                """)
            let moved = try await connection.query("""
                UPDATE render_deliveries SET directory = \(normalized), next_attempt_at = now()
                WHERE status = 'pending' AND template = \(name) AND directory <> \(normalized)
                RETURNING id
                """)
            return (try Self.target(rows[0]), moved.count)
        }
    }

    /// Removes `template`'s target (deliveries already created still happen).
    /// - Throws: ``HubError`` `.notFound` when it has none.
    package func removeTarget(template: String) async throws {
        let rows = try await pool.query("DELETE FROM render_delivery_targets WHERE template = \(template) RETURNING template")
        guard !rows.isEmpty else {
            throw HubError(.notFound, "template '\(template)' has no delivery folder: `hubctl delivery list` shows those set")
        }
    }

    /// Every target, by template.
    package func targets() async throws -> [DeliveryTarget] {
        try await pool.query("SELECT template, directory, updated_by, updated_at FROM render_delivery_targets ORDER BY template")
            .map(Self.target)
    }

    /// The delivery of instruction `id`, if its template had a target when it completed.
    package func delivery(instruction id: Int64) async throws -> Delivery? {
        try await pool.query("SELECT \(fragment: Delivery.columns) FROM render_deliveries WHERE instruction_id = \(id)")
            .first.map(Delivery.decode)
    }

    /// Deliveries, newest first: all, or only those not delivered yet.
    package func deliveries(pendingOnly: Bool = false, limit: Int = 50) async throws -> [Delivery] {
        try await pool.query("""
            SELECT \(fragment: Delivery.columns) FROM render_deliveries
            WHERE NOT \(pendingOnly) OR status = 'pending'
            ORDER BY id DESC LIMIT \(limit)
            """).map(Delivery.decode)
    }

    /// Takes up to `limit` due deliveries of files on `host`, pushing their next attempt
    /// `hold` into the future so that another worker on the machine does not take them meanwhile.
    package func takeDue(host: String, limit: Int = 1, hold: Duration = .seconds(300)) async throws -> [Delivery] {
        try await pool.query("""
            WITH due AS (
                SELECT id FROM render_deliveries
                WHERE status = 'pending' AND host = \(host) AND next_attempt_at <= now()
                ORDER BY next_attempt_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            )
            UPDATE render_deliveries d SET next_attempt_at = now() + make_interval(secs => \(Double(hold.components.seconds)))
            FROM due WHERE d.id = due.id
            RETURNING d.id, d.instruction_id, d.source_path, d.directory, d.host, d.status, d.attempts, d.last_error,
                      d.next_attempt_at, d.delivered_path, d.checksum, d.bytes, d.delivered_at, d.template
            """).map(Delivery.decode)
    }

    /// Gives up an owed delivery (its machine is gone for good, or the file was copied by hand):
    /// it is `dropped`, with who and why in its last error, and no longer owed — no worker tries it
    /// again, the `delivery_failed` alert resolves, and the purge may remove its instruction.
    /// - Returns: the delivery as it is now.
    /// - Throws: ``HubError`` `.notFound` when instruction `id` has no delivery, `.conflict` when
    ///   it was delivered already.
    package func drop(instruction id: Int64, actor: String, reason: String) async throws -> Delivery {
        let rows = try await pool.query("""
            UPDATE render_deliveries SET status = 'dropped', last_error = \("dropped by \(actor): \(reason)")
            WHERE instruction_id = \(id) AND status = 'pending'
            RETURNING \(fragment: Delivery.columns)
            """)
        if let row = rows.first { return try Delivery.decode(row) }
        guard let delivery = try await delivery(instruction: id) else {
            throw HubError(.notFound, "instruction \(id) owes no delivery (its template had no delivery folder when it completed): `hubctl delivery status --pending` lists those owed")
        }
        guard delivery.status == "dropped" else {
            throw HubError(.conflict, "the delivery of instruction \(id) is \(delivery.status) already (\(delivery.deliveredPath ?? "")); nothing to drop")
        }
        return delivery
    }

    /// Records a delivery done.
    package func delivered(_ id: Int64, path: String, checksum: String, bytes: Int64) async throws {
        try await pool.query("""
            UPDATE render_deliveries SET status = 'delivered', delivered_path = \(path), checksum = \(checksum), bytes = \(bytes),
                   delivered_at = now(), attempts = attempts + 1, last_error = NULL
            WHERE id = \(id) AND status = 'pending'
            """)
    }

    /// Records a failed attempt: the next one after `retryIn`.
    package func failed(_ id: Int64, error: String, retryIn: Duration) async throws {
        try await pool.query("""
            UPDATE render_deliveries SET attempts = attempts + 1, last_error = \(error),
                   next_attempt_at = now() + make_interval(secs => \(Double(retryIn.components.seconds)))
            WHERE id = \(id) AND status = 'pending'
            """)
    }

    private static func target(_ row: PostgresRow) throws -> DeliveryTarget {
        DeliveryTarget(template: try row.decode(String.self, at: 0), directory: try row.decode(String.self, at: 1),
                       updatedBy: try row.decode(String.self, at: 2), updatedAt: try row.decode(Date.self, at: 3))
    }
}

/// Copies a file into a folder so that a watcher of the folder never sees it partly written:
/// the bytes go to a hidden temporary name in the same folder (`.<name>.<random>.partial`), are
/// flushed to disk, and the file is renamed to its final name in one step.
package enum AtomicCopy {
    /// Copies `source` to `directory/name`; returns the final path, the SHA-256 (hex) and the size.
    /// - Throws: ``HubError`` `.unavailable` saying what failed (the source gone, the folder
    ///   missing or read-only, the disk full); nothing is left at the final name then.
    package static func copy(_ source: String, into directory: String, as name: String) throws -> (path: String, checksum: String, bytes: Int64) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HubError(.unavailable, "delivery folder \(directory) does not exist or is not a folder (is the share mounted?)")
        }
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw HubError(.unavailable, "cannot read the output \(source): \(String(cString: strerror(errno)))") }
        defer { close(input) }
        let final = directory + "/" + name
        // A temporary file an interrupted attempt left (the process killed mid-copy) goes first:
        // the name is this delivery's own.
        for leftover in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        where leftover.hasPrefix("." + name + ".") && leftover.hasSuffix(".partial") {
            unlink(directory + "/" + leftover)
        }
        let temporary = directory + "/." + name + "." + UUID().uuidString.prefix(8).lowercased() + ".partial"
        let output = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else {
            throw HubError(.unavailable, "cannot write in delivery folder \(directory): \(String(cString: strerror(errno)))")
        }
        var keep = false
        defer {
            if !keep { unlink(temporary) }
        }
        var hasher = SHA256()
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        do {
            defer { close(output) }
            while true {
                let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw HubError(.unavailable, "reading the output \(source) failed: \(String(cString: strerror(errno)))")
                }
                if count == 0 { break }
                hasher.update(data: buffer[0..<count])
                var offset = 0
                while offset < count {
                    let written = buffer.withUnsafeBytes { write(output, $0.baseAddress! + offset, count - offset) }
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw HubError(.unavailable, "writing to delivery folder \(directory) failed: \(String(cString: strerror(errno)))")
                    }
                    offset += written
                }
                total += Int64(count)
            }
            guard fsync(output) == 0 else {
                throw HubError(.unavailable, "flushing the copy in \(directory) failed: \(String(cString: strerror(errno)))")
            }
        }
        guard rename(temporary, final) == 0 else {
            throw HubError(.unavailable, "cannot rename the copy to \(final): \(String(cString: strerror(errno)))")
        }
        keep = true
        // The rename itself is durable once the folder is flushed (best effort: some shares refuse).
        let folder = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 { _ = fsync(folder); close(folder) }
        let checksum = Hex.string(hasher.finalize())
        return (final, checksum, total)
    }
}

extension RenderWorker {
    /// The name a delivered file gets: `<template>-<instruction id>.<extension>` (the same name
    /// again for a re-render, which replaces the earlier file in one step).
    static func deliveredName(template: String, instruction id: Int64, source: String) -> String {
        let safe = template.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" }
        let ext = (source as NSString).pathExtension
        return "\(safe.isEmpty ? "render" : String(safe))-\(id)" + (ext.isEmpty ? "" : ".\(ext)")
    }

    /// How long after its `attempts`-th failure a delivery is tried again: 5 s doubling, 5 min at most.
    static func deliveryBackoff(after attempts: Int) -> Duration {
        .seconds(min(300, 5 << min(max(attempts - 1, 0), 6)))
    }

    /// Delivers what is due on this machine, until none is left; returns how many were delivered.
    @discardableResult
    func deliverDue() async -> Int {
        let store = DeliveryStore(pool: queue.store.pool)
        var delivered = 0
        while !Task.isCancelled {
            let due: [Delivery]
            do {
                due = try await store.takeDue(host: WorkerProcessIdentity.current.host)
            } catch {
                logger.debug("deliveries not read: \(error)")
                return delivered
            }
            if due.isEmpty { return delivered }
            for delivery in due {
                var logger = self.logger
                logger[metadataKey: "instruction_id"] = "\(delivery.instructionID)"
                let name = Self.deliveredName(template: delivery.template, instruction: delivery.instructionID, source: delivery.sourcePath)
                // Blocking file I/O (a share can be slow or hang): on a thread of its own, not the
                // cooperative pool.
                let copied: Result<(path: String, checksum: String, bytes: Int64), any Error> = await withCheckedContinuation { continuation in
                    DispatchQueue.global(qos: .utility).async {
                        continuation.resume(returning: Result { try AtomicCopy.copy(delivery.sourcePath, into: delivery.directory, as: name) })
                    }
                }
                switch copied {
                case .success(let copy):
                    // The file is in place: record it, riding out a database blip (the row stays
                    // held meanwhile; if it cannot be recorded the next attempt copies again).
                    var recorded = false
                    for attempt in 1...5 where !recorded {
                        do {
                            try await store.delivered(delivery.id, path: copy.path, checksum: copy.checksum, bytes: copy.bytes)
                            recorded = true
                        } catch {
                            logger.warning("instruction \(delivery.instructionID): delivered to \(copy.path) but not recorded (\(error)); trying again")
                            try? await Task.sleep(for: .milliseconds(200 * attempt))
                        }
                    }
                    guard recorded else { continue }
                    delivered += 1
                    logger.info("instruction \(delivery.instructionID): delivered to \(copy.path) (\(copy.bytes) bytes, sha256 \(copy.checksum.prefix(12))…)")
                    if let instruction = try? await queue.store.instruction(delivery.instructionID) {
                        await queue.events.render("render_delivered", instruction, extra: [
                            "delivered_path": .string(copy.path), "checksum": .string(copy.checksum)])
                    }
                case .failure(let error):
                    let message = (error as? HubError)?.message ?? "\(error)"
                    let wait = Self.deliveryBackoff(after: delivery.attempts + 1)
                    logger.warning("instruction \(delivery.instructionID): delivery to \(delivery.directory) failed (attempt \(delivery.attempts + 1)): \(message); trying again in \(wait.components.seconds) s")
                    try? await store.failed(delivery.id, error: message, retryIn: wait)
                }
            }
        }
        return delivered
    }
}
