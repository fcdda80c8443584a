import Foundation
import HubPostgres
import HubTestSupport
import Testing

/// `copyIn`: rows in COPY's text format reach the table exactly; a refused row fails the COPY with
/// the server's error and leaves the connection usable.
@Suite struct PostgresCopyTests {
    let pool: PostgresPool

    init() async throws {
        pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 2)
        try await pool.query("CREATE TABLE copied (id bigint PRIMARY KEY, name text, score double precision, tags text[], seen_at timestamptz)")
    }

    @Test func rowsArriveExactly() async throws {
        // Tab, newline, carriage return and backslash escaped; \N is NULL.
        let data = Array("""
            1\tO'Brien\t1.5\t{a,b}\t2025-10-15T12:03:20.9005907Z
            2\ttab\\there\\nnew line\\rreturn \\\\ backslash\t-0\t{}\t\\N
            3\t\\N\t\\N\t\\N\t\\N
            4\t김민수 🂡\t1e-07\t{"x y"}\t2025-10-15 12:03:20+02

            """.utf8)
        let copied = try await pool.withConnection { try await $0.copyIn("COPY copied (id, name, score, tags, seen_at) FROM STDIN", data: data) }
        #expect(copied == 4)
        let rows = try await pool.query("SELECT id, name, score, tags, seen_at FROM copied ORDER BY id")
        #expect(try rows.map { try $0.decode(String?.self, at: 1) } == ["O'Brien", "tab\there\nnew line\rreturn \\ backslash", nil, "김민수 🂡"])
        #expect(try rows.map { try $0.decode(Double?.self, at: 2)?.bitPattern } == [(1.5).bitPattern, (-0.0).bitPattern, nil, (1e-7).bitPattern])
        #expect(try rows.map { try $0.decode([String]?.self, at: 3) } == [["a", "b"], [], nil, ["x y"]])
        #expect(try rows[3].decode(Date.self, at: 4) == Date(timeIntervalSince1970: 1_760_522_600))
        #expect(try await pool.withConnection { try await $0.copyIn("COPY copied (id) FROM STDIN", data: []) } == 0)
    }

    @Test func aRefusedRowFailsTheWholeCopyAndTheConnectionGoesOn() async throws {
        try await pool.query("INSERT INTO copied (id) VALUES (7)")
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withTransaction { connection in
                try await connection.copyIn("COPY copied (id, name) FROM STDIN", data: Array("8\teight\n7\tseven again\n".utf8))
            }
        }
        #expect(error?.code == .server && error?.sqlState == "23505", "\(String(describing: error))")
        #expect(try await pool.query("SELECT count(*) FROM copied")[0].decode(Int.self, at: 0) == 1, "nothing of the failed COPY")
        let malformed = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { try await $0.copyIn("COPY copied (id, name) FROM STDIN", data: Array("nine\tnine\n".utf8)) }
        }
        #expect(malformed?.code == .server && malformed?.sqlState == "22P02")
        let notCopy = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { try await $0.copyIn("SELECT 1", data: []) }
        }
        #expect(notCopy?.code == .invalidParameter)
        #expect(try await pool.query("SELECT 1")[0].decode(Int.self, at: 0) == 1)
    }
}
