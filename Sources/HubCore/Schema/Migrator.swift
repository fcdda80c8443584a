import Foundation
import HubPostgres

/// Applies and reverts migrations, recording each applied version with its checksum in
/// `schema_migrations`.
///
/// Every operation takes a PostgreSQL advisory lock first, so two processes migrating at once apply
/// each migration once; each migration runs in its own transaction together with its bookkeeping
/// row. A migration that was edited after it was applied is refused.
package struct Migrator: Sendable {
    /// The state of one version.
    package struct Status: Sendable, Equatable, Codable {
        /// The version.
        package var version: Int
        /// Its name (from the build, or as recorded when the build does not know it).
        package var name: String
        /// `applied`, `pending`, `edited` (applied, but the SQL changed since) or `unknown` (applied
        /// by a newer build).
        package var state: String
        /// When it was applied.
        package var appliedAt: Date?
    }

    /// Advisory lock key: "hubmigr" as bytes, so it does not collide with other users of the lock space.
    static let lockKey: Int64 = 0x6875_626D_6967_72

    /// The database.
    package let pool: PostgresPool
    /// The migrations known to this build.
    package let migrations: [Migration]

    /// Creates a migrator for `migrations` (the build's own by default).
    package init(pool: PostgresPool, migrations: [Migration] = HubSchema.migrations) {
        self.pool = pool
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// The latest version this migrator knows.
    package var latestVersion: Int { migrations.last?.version ?? 0 }

    /// The highest applied version (0 when none, or when the bookkeeping table does not exist yet).
    package func currentVersion() async throws -> Int {
        try await pool.withConnection { try await applied(on: $0).keys.max() ?? 0 }
    }

    /// Every version known to this build or recorded in the database, with its state.
    package func status() async throws -> [Status] {
        let recorded = try await pool.withConnection { try await applied(on: $0) }
        var rows: [Status] = migrations.map { migration in
            guard let record = recorded[migration.version] else {
                return Status(version: migration.version, name: migration.name, state: "pending", appliedAt: nil)
            }
            let state = record.checksum == migration.checksum ? "applied" : "edited"
            return Status(version: migration.version, name: migration.name, state: state, appliedAt: record.appliedAt)
        }
        let known = Set(migrations.map(\.version))
        for (version, record) in recorded where !known.contains(version) {
            rows.append(Status(version: version, name: record.name, state: "unknown", appliedAt: record.appliedAt))
        }
        return rows.sorted { $0.version < $1.version }
    }

    /// Applies pending migrations up to `target` (all when nil).
    /// - Returns: the migrations applied by this call (empty when another process did them first).
    /// - Throws: ``HubError`` `.migration` for an unknown target, an edited migration
    ///   or a failing one (that migration is rolled back; the ones before it stay applied),
    ///   `.schemaAhead` when the database is newer than this build.
    @discardableResult
    package func up(to target: Int? = nil) async throws -> [Migration] {
        if let target, !migrations.contains(where: { $0.version == target }) {
            throw unknownVersion(target)
        }
        return try await withLock { connection in
            let recorded = try await applied(on: connection)
            try validate(recorded)
            var done: [Migration] = []
            for migration in migrations where recorded[migration.version] == nil {
                if let target, migration.version > target { break }
                try await apply(migration, on: connection)
                done.append(migration)
            }
            return done
        }
    }

    /// Reverts applied migrations, newest first, down to `target` (the version that remains; 0 =
    /// revert everything). Without a target, reverts the newest one.
    /// - Returns: the migrations reverted.
    @discardableResult
    package func down(to target: Int? = nil) async throws -> [Migration] {
        if let target, target != 0, !migrations.contains(where: { $0.version == target }) {
            throw unknownVersion(target)
        }
        return try await withLock { connection in
            let recorded = try await applied(on: connection)
            try validate(recorded)
            let current = recorded.keys.max() ?? 0
            let stop = target ?? migrations.last(where: { $0.version < current })?.version ?? 0
            if let target, target > current {
                throw HubError(.migration, "cannot migrate down to \(target): the database is at version \(current)")
            }
            var done: [Migration] = []
            for migration in migrations.reversed() where recorded[migration.version] != nil && migration.version > stop {
                try await revert(migration, on: connection)
                done.append(migration)
            }
            return done
        }
    }

    // MARK: Internals

    private struct Record {
        var name: String
        var checksum: String
        var appliedAt: Date
    }

    private func withLock<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await pool.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))")
            do {
                try await ensureTable(on: connection)
                let value = try await body(connection)
                await unlock(connection)
                return value
            } catch {
                await unlock(connection)
                throw error
            }
        }
    }

    /// Releases the migration lock; if that cannot be sent (a cancelled task, a lost link), closes
    /// the session, which releases it too — a pooled connection never keeps the lock.
    private func unlock(_ connection: PostgresConnection) async {
        do {
            try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
        } catch {
            await connection.close()
        }
    }

    private func ensureTable(on connection: PostgresConnection) async throws {
        try await connection.executeScript("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     integer PRIMARY KEY CHECK (version > 0),
                name        text NOT NULL,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now(),
                applied_by  text NOT NULL DEFAULT current_user,
                duration_ms integer NOT NULL DEFAULT 0
            )
            """)
    }

    private func applied(on connection: PostgresConnection) async throws -> [Int: Record] {
        let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL")
        guard try exists[0].decode(Bool.self, at: 0) else { return [:] }
        let rows = try await connection.query("SELECT version, name, checksum, applied_at FROM schema_migrations")
        var records: [Int: Record] = [:]
        for row in rows {
            records[try row.decode(Int.self, at: 0)] = Record(
                name: try row.decode(String.self, at: 1), checksum: try row.decode(String.self, at: 2),
                appliedAt: try row.decode(Date.self, at: 3))
        }
        return records
    }

    private func validate(_ recorded: [Int: Record]) throws {
        if let newest = recorded.keys.max(), newest > latestVersion {
            throw HubError(.schemaAhead,
                "the database schema is at version \(newest), newer than this build knows (\(latestVersion)): use the hubctl that came with the newer schema")
        }
        for migration in migrations {
            if let record = recorded[migration.version], record.checksum != migration.checksum {
                throw HubError(.migration,
                    "migration \(migration.id) was edited after it was applied (checksum \(record.checksum.prefix(12))… recorded, \(migration.checksum.prefix(12))… now): restore the original file and add a new migration for the change")
            }
        }
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        let started = ContinuousClock.now
        do {
            try await connection.withTransaction { connection in
                try await connection.executeScript(.file(contents: migration.up))
                let elapsed = ContinuousClock.now - started
                let ms = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                try await connection.query("""
                    INSERT INTO schema_migrations (version, name, checksum, duration_ms)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum), \(ms))
                    """)
            }
        } catch let error as PostgresError {
            throw HubError(.migration, "migration \(migration.id) failed and was rolled back: \(error.description)")
        }
    }

    private func revert(_ migration: Migration, on connection: PostgresConnection) async throws {
        do {
            try await connection.withTransaction { connection in
                try await connection.executeScript(.file(contents: migration.down))
                try await connection.query("DELETE FROM schema_migrations WHERE version = \(migration.version)")
            }
        } catch let error as PostgresError {
            throw HubError(.migration, "reverting migration \(migration.id) failed and was rolled back: \(error.description)")
        }
    }

    private func unknownVersion(_ version: Int) -> HubError {
        let known = migrations.map { String($0.version) }.joined(separator: ", ")
        return HubError(.migration, "unknown migration version \(version): this build knows \(known.isEmpty ? "none" : known) (hubctl migrate status lists them)")
    }
}
