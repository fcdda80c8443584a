import Foundation
import HubPostgres
import HubTestSupport
import Testing

@Suite struct PostgresTypeTests {
    let pool: PostgresPool

    init() async throws {
        pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 2)
        try await pool.query("""
            CREATE TABLE people (
                id bigserial PRIMARY KEY, name text, nickname text, ticks bigint, score double precision,
                active boolean, seen_at timestamptz, ref uuid, doc jsonb, tags text[], ids bigint[], blob bytea
            )
            """)
    }

    @Test(arguments: [
        "plain",
        "O'Brien",
        "semi; colon; DROP TABLE people; --",
        "\"double\" and \\backslash\\",
        "김민수 (Kim Min-su) 🂡",
        "line\nbreak\r\ntab\t",
        "$1 and $2 are not placeholders here",
        "",
    ])
    func textRoundTripsExactly(value: String) async throws {
        let inserted = try await pool.query("INSERT INTO people (name) VALUES (\(value)) RETURNING id")
        let id = try inserted[0].decode(Int.self, at: 0)
        let rows = try await pool.query("SELECT name FROM people WHERE id = \(id) AND name = \(value)")
        #expect(rows.count == 1)
        #expect(try rows[0].decode(String.self, column: "name") == value)
        let count = try await pool.query("SELECT count(*) FROM people")
        #expect(try count[0].decode(Int.self, at: 0) >= 1, "the table must still exist")
    }

    @Test func nullsDecodeAsNilAndRefuseNonOptionals() async throws {
        let nickname: String? = nil
        let rows = try await pool.query("INSERT INTO people (name, nickname) VALUES (\("n"), \(nickname)) RETURNING nickname, ticks")
        #expect(try rows[0].decode(String?.self, column: "nickname") == nil)
        #expect(rows[0].isNull(at: 1))
        let error = try #require(throws: PostgresError.self) { try rows[0].decode(Int.self, column: "ticks") }
        #expect(error.code == .decoding)
        #expect(error.description.contains("ticks"))
    }

    @Test func int64BeyondDoublePrecisionIsExact() async throws {
        let ticks: Int64 = 638_961_224_831_992_165 // a real PokerGFX ID, far above 2^53
        let beyond: Int64 = (1 << 53) + 1
        let rows = try await pool.query("SELECT \(ticks)::bigint AS a, \(beyond)::bigint AS b, \(Int64.max)::bigint AS c, \(Int64.min)::bigint AS d")
        #expect(try rows[0].decode(Int64.self, column: "a") == ticks)
        #expect(try rows[0].decode(Int64.self, column: "b") == beyond)
        #expect(try rows[0].decode(Int.self, column: "c") == Int.max)
        #expect(try rows[0].decode(Int64.self, column: "d") == Int64.min)
        let stored = try await pool.query("INSERT INTO people (ticks) VALUES (\(ticks)) RETURNING ticks = 638961224831992165 AS exact")
        #expect(try stored[0].decode(Bool.self, column: "exact"))
    }

    @Test func scalarsRoundTrip() async throws {
        let when = Date(timeIntervalSince1970: 1_732_000_000.123456)
        let ref = UUID()
        let rows = try await pool.query("""
            SELECT \(true) AS t, \(false) AS f, \(3.25) AS d, \(Double.infinity) AS inf, \(when) AS ts, \(ref) AS u,
                   now() AS server_now, '2024-02-29 23:59:59.5+09:30'::timestamptz AS offset_ts, '1999-12-31'::date AS day
            """)
        let row = rows[0]
        #expect(try row.decode(Bool.self, column: "t") == true)
        #expect(try row.decode(Bool.self, column: "f") == false)
        #expect(try row.decode(Double.self, column: "d") == 3.25)
        #expect(try row.decode(Double.self, column: "inf") == .infinity)
        #expect(abs(try row.decode(Date.self, column: "ts").timeIntervalSince(when)) < 0.000_001)
        #expect(try row.decode(UUID.self, column: "u") == ref)
        #expect(abs(try row.decode(Date.self, column: "server_now").timeIntervalSinceNow) < 60)
        // 2024-02-29 23:59:59.5 at +09:30 is 14:29:59.5 UTC.
        #expect(try row.decode(Date.self, column: "offset_ts") == Date(timeIntervalSince1970: 1_709_216_999.5))
        #expect(try row.decode(Date.self, column: "day") == Date(timeIntervalSince1970: 946_598_400))
    }

    struct Settings: Codable, Equatable, Sendable {
        var format: String
        var fps: Int
        var layers: [String: String]
        var frameRange: [Int]?
        var big: Int64
    }

    @Test func jsonbRoundTripsThroughCodable() async throws {
        let settings = Settings(format: "mov", fps: 30, layers: ["Name 1": "김민수", "Chips 1": "1,500,000", "quote": "\"'"],
                                frameRange: [0, 90], big: 638_961_224_831_992_165)
        let rows = try await pool.query("INSERT INTO people (doc) VALUES (\(PostgresJSON(settings))) RETURNING doc, doc->>'format' AS format, jsonb_typeof(doc) AS kind")
        #expect(try rows[0].decode(PostgresJSON<Settings>.self, column: "doc").value == settings)
        #expect(try rows[0].decode(String.self, column: "format") == "mov")
        #expect(try rows[0].decode(String.self, column: "kind") == "object")
    }

    @Test func arraysRoundTripWithAwkwardElements() async throws {
        let tags = ["plain", "with space", "comma,inside", "quote\"inside", "back\\slash", "{braces}", "NULL", "", "한글"]
        let ids: [Int64] = [1, -2, 638_961_224_831_992_165, Int64.max]
        let rows = try await pool.query("INSERT INTO people (tags, ids) VALUES (\(tags), \(ids)) RETURNING tags, ids, cardinality(tags) AS n")
        #expect(try rows[0].decode([String].self, column: "tags") == tags)
        #expect(try rows[0].decode([Int64].self, column: "ids") == ids)
        #expect(try rows[0].decode(Int.self, column: "n") == tags.count)
        let empty = try await pool.query("SELECT ARRAY[]::text[] AS e, \([Int]()) AS f")
        #expect(try empty[0].decode([String].self, column: "e") == [])
        #expect(try empty[0].decode([Int].self, column: "f") == [])
        let match = try await pool.query("SELECT count(*) FROM people WHERE id = ANY(\([Int64(-1), -2]))")
        #expect(try match[0].decode(Int.self, at: 0) == 0)
    }

    @Test func binaryDataKeepsEveryByte() async throws {
        let blob = Data([0, 1, 2, 0, 255, 13, 10, 0])
        let rows = try await pool.query("INSERT INTO people (blob) VALUES (\(blob)) RETURNING blob, length(blob) AS n")
        #expect(try rows[0].decode(Data.self, column: "blob") == blob)
        #expect(try rows[0].decode(Int.self, column: "n") == 8)
    }

    @Test func textWithNulIsRefusedBeforeSending() async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await pool.query("SELECT \("a\u{0}b")")
        }
        #expect(error?.code == .invalidParameter)
        #expect(error?.description.contains("$1") == true)
    }

    @Test func affectedRowsAndCommandTag() async throws {
        let tag = "tag-\(UUID())"
        for _ in 0..<3 { try await pool.query("INSERT INTO people (name) VALUES (\(tag))") }
        let updated = try await pool.execute("UPDATE people SET active = true WHERE name = \(tag)")
        #expect(updated == 3)
        let result = try await pool.query("DELETE FROM people WHERE name = \(tag)")
        #expect(result.commandTag == "DELETE 3")
        #expect(result.affectedRows == 3)
    }
}
