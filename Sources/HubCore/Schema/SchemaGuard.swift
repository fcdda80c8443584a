import HubPostgres

/// The start-up check every hub executable runs: the database schema must be exactly the version
/// this build was made for.
package enum SchemaGuard {
    /// Checks the schema version of the database behind `pool`.
    /// - Parameter program: the executable's name, for the message.
    /// - Throws: ``HubError`` `.schemaBehind` (run `hubctl migrate up`), `.schemaAhead` (this binary
    ///   is older than the schema), or `.migration` (an applied migration differs from this build's).
    package static func verify(_ pool: PostgresPool, program: String, migrations: [Migration] = HubSchema.migrations) async throws {
        let migrator = Migrator(pool: pool, migrations: migrations)
        let statuses = try await migrator.status()
        let applied = statuses.filter { $0.state != "pending" }
        let current = applied.map(\.version).max() ?? 0
        let expected = migrator.latestVersion
        if current > expected {
            throw HubError(.schemaAhead,
                "\(program) was built for schema version \(expected) but the database is at version \(current): install the newer hub binaries (or migrate down with the newer hubctl)")
        }
        if let edited = statuses.first(where: { $0.state == "edited" }) {
            throw HubError(.migration,
                "migration \(edited.version) (\(edited.name)) in the database differs from the one \(program) was built with: check that every hub binary comes from the same release")
        }
        if statuses.contains(where: { $0.state == "pending" }) {
            throw HubError(.schemaBehind,
                "the database schema is at version \(current) but \(program) needs version \(expected): run `hubctl migrate up`")
        }
    }
}
