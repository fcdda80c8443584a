import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

@Suite struct MigrationTests {
    /// The tables, columns, indexes, constraints and functions of the public schema, as text.
    static func snapshot(_ pool: PostgresPool) async throws -> [String] {
        let rows = try await pool.query("""
            SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_migrations'
            UNION ALL SELECT 'index ' || indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'schema_migrations'
            UNION ALL SELECT 'constraint ' || conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' AND conrelid::regclass::text <> 'schema_migrations'
            UNION ALL SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
            UNION ALL SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
            UNION ALL SELECT 'view ' || table_name FROM information_schema.views WHERE table_schema = 'public'
            """)
        return try rows.map { try $0.decode(String.self, at: 0) }.sorted()
    }

    @Test func embeddedMigrationsMatchTheSchemaDirectory() throws {
        let files = try Migration.load(directory: TestServices.repositoryRoot.appendingPathComponent("Schema"))
        #expect(!files.isEmpty)
        #expect(files.map(\.version) == HubSchema.migrations.map(\.version), "run scripts/embed-schema")
        for (file, embedded) in zip(files, HubSchema.migrations) {
            #expect(file.name == embedded.name)
            #expect(file.checksum == embedded.checksum, "Schema/\(file.id).up.sql differs from the embedded copy: run scripts/embed-schema")
            #expect(file.down.trimmingCharacters(in: .whitespacesAndNewlines) == embedded.down.trimmingCharacters(in: .whitespacesAndNewlines),
                    "Schema/\(file.id).down.sql differs from the embedded copy: run scripts/embed-schema")
        }
        // Versions are assigned per engineer, so a number may be missing; the order must be strict.
        let versions = HubSchema.migrations.map(\.version)
        #expect(versions.first == 1 && zip(versions, versions.dropFirst()).allSatisfy { $0 < $1 }, "versions increase from 1")
    }

    @Test func everyMigrationRoundTripsUpDownUp() async throws {
        let pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 2)
        let migrator = Migrator(pool: pool)
        var snapshots: [Int: [String]] = [0: try await Self.snapshot(pool)]
        // The version each migration follows (0 for the first; versions may have gaps).
        var previous: [Int: Int] = [:]
        for (index, migration) in HubSchema.migrations.enumerated() {
            previous[migration.version] = index == 0 ? 0 : HubSchema.migrations[index - 1].version
        }
        for migration in HubSchema.migrations {
            let applied = try await migrator.up(to: migration.version)
            #expect(applied.map(\.version) == [migration.version])
            snapshots[migration.version] = try await Self.snapshot(pool)
            #expect(snapshots[migration.version] != snapshots[previous[migration.version]!], "\(migration.id) changes the schema")
        }
        for migration in HubSchema.migrations.reversed() {
            let reverted = try await migrator.down()
            #expect(reverted.map(\.version) == [migration.version])
            #expect(try await Self.snapshot(pool) == snapshots[previous[migration.version]!], "\(migration.id).down.sql undoes exactly its up")
            try await migrator.up(to: migration.version)
            #expect(try await Self.snapshot(pool) == snapshots[migration.version], "\(migration.id) applies again after its down")
            try await migrator.down()
        }
        #expect(try await migrator.currentVersion() == 0)
        try await migrator.up()
        #expect(try await migrator.currentVersion() == HubSchema.expectedVersion)
        let down = try await migrator.down(to: 0)
        #expect(down.count == HubSchema.migrations.count)
        #expect(try await Self.snapshot(pool) == snapshots[0])
        await pool.close()
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() async throws {
        let url = try await scratchDatabaseURL()
        let migrations = HubSchema.migrations + [
            Migration(version: HubSchema.expectedVersion + 1, name: "slow", up: "CREATE TABLE slow_one AS SELECT g AS id FROM generate_series(1, 200000) g;", down: "DROP TABLE slow_one;"),
            Migration(version: HubSchema.expectedVersion + 2, name: "counter", up: "CREATE TABLE counted (id int); INSERT INTO counted VALUES (1);", down: "DROP TABLE counted;"),
        ]
        let results = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let pool = try PostgresPool(url: url, maxConnections: 1)
                    let applied = try await Migrator(pool: pool, migrations: migrations).up()
                    await pool.close()
                    return applied.map(\.version)
                }
            }
            var all: [[Int]] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(results.flatMap { $0 }.sorted() == migrations.map(\.version), "each migration applied by exactly one runner")
        let pool = try PostgresPool(url: url, maxConnections: 1)
        let counted = try await pool.query("SELECT count(*) FROM counted")
        #expect(try counted[0].decode(Int.self, at: 0) == 1)
        let recorded = try await pool.query("SELECT count(*) FROM schema_migrations")
        #expect(try recorded[0].decode(Int.self, at: 0) == migrations.count)
        await pool.close()
    }

    @Test func editedMigrationIsRefused() async throws {
        let pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 1)
        let original = [Migration(version: 1, name: "t", up: "CREATE TABLE t (id int);", down: "DROP TABLE t;")]
        try await Migrator(pool: pool, migrations: original).up()
        let edited = [Migration(version: 1, name: "t", up: "CREATE TABLE t (id bigint);", down: "DROP TABLE t;"),
                      Migration(version: 2, name: "u", up: "CREATE TABLE u (id int);", down: "DROP TABLE u;")]
        let error = await #expect(throws: HubError.self) { try await Migrator(pool: pool, migrations: edited).up() }
        #expect(error?.code == .migration)
        #expect(error?.message.contains("0001_t was edited") == true)
        let status = try await Migrator(pool: pool, migrations: edited).status()
        #expect(status.map(\.state) == ["edited", "pending"])
        let exists = try await pool.query("SELECT to_regclass('u') IS NULL")
        #expect(try exists[0].decode(Bool.self, at: 0), "nothing after the edited migration was applied")
        // Whitespace-only differences (CRLF, trailing blanks) are not edits.
        let reformatted = [Migration(version: 1, name: "t", up: "CREATE TABLE t (id int);  \r\n\n", down: "DROP TABLE t;")]
        #expect(try await Migrator(pool: pool, migrations: reformatted).status().map(\.state) == ["applied"])
        await pool.close()
    }

    @Test func failingMigrationRollsBackAndKeepsEarlierOnes() async throws {
        let pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 1)
        let migrations = [
            Migration(version: 1, name: "good", up: "CREATE TABLE good (id int);", down: "DROP TABLE good;"),
            Migration(version: 2, name: "bad", up: "CREATE TABLE half (id int); SELECT * FROM no_such_table;", down: "DROP TABLE half;"),
        ]
        let error = await #expect(throws: HubError.self) { try await Migrator(pool: pool, migrations: migrations).up() }
        #expect(error?.message.contains("0002_bad failed and was rolled back") == true)
        #expect(error?.message.contains("no_such_table") == true)
        #expect(try await Migrator(pool: pool, migrations: migrations).currentVersion() == 1)
        let half = try await pool.query("SELECT to_regclass('half') IS NULL")
        #expect(try half[0].decode(Bool.self, at: 0), "the failed migration left nothing behind")
        await pool.close()
    }

    @Test func unknownTargetsAreRefused() async throws {
        let pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 1)
        let migrator = Migrator(pool: pool)
        let error = await #expect(throws: HubError.self) { try await migrator.up(to: 9999) }
        #expect(error?.message.contains("unknown migration version 9999") == true)
        let downError = await #expect(throws: HubError.self) { try await migrator.down(to: 9999) }
        #expect(downError?.message.contains("9999") == true)
        #expect(try await migrator.currentVersion() == 0)
        await pool.close()
    }

    @Test func schemaGuardNamesBehindAndAhead() async throws {
        let pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 1)
        let v1 = [Migration(version: 1, name: "a", up: "CREATE TABLE a (id int);", down: "DROP TABLE a;")]
        let v2 = v1 + [Migration(version: 2, name: "b", up: "CREATE TABLE b (id int);", down: "DROP TABLE b;")]

        let behind = await #expect(throws: HubError.self) { try await SchemaGuard.verify(pool, program: "hub-worker", migrations: v1) }
        #expect(behind?.code == .schemaBehind)
        #expect(behind?.message.contains("hubctl migrate up") == true)

        try await Migrator(pool: pool, migrations: v2).up()
        try await SchemaGuard.verify(pool, program: "hub-worker", migrations: v2)

        let ahead = await #expect(throws: HubError.self) { try await SchemaGuard.verify(pool, program: "hub-worker", migrations: v1) }
        #expect(ahead?.code == .schemaAhead)
        #expect(ahead?.message.contains("version 1") == true && ahead?.message.contains("version 2") == true)
        let refused = await #expect(throws: HubError.self) { try await Migrator(pool: pool, migrations: v1).up() }
        #expect(refused?.code == .schemaAhead)
        await pool.close()
    }
}
