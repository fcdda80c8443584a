import HubPostgres
import Testing

@Suite struct PostgresQueryTests {
    @Test func interpolationsBecomeNumberedParameters() {
        let name = "O'Brien; DROP TABLE players; --"
        let chips = 1_500_000
        let query: PostgresQuery = "SELECT * FROM players WHERE name = \(name) AND chips > \(chips)"
        #expect(query.sql == "SELECT * FROM players WHERE name = $1 AND chips > $2")
        #expect(query.bindings.count == 2)
        #expect(query.bindings[0].bytes == Array(name.utf8))
        #expect(!query.description.contains("O'Brien"))
    }

    @Test func fragmentsAreRenumbered() {
        let filter: PostgresQuery = "status = \("failed") AND priority <= \(3)"
        let query: PostgresQuery = "UPDATE jobs SET note = \("x") WHERE \(fragment: filter) AND id = \(7)"
        #expect(query.sql == "UPDATE jobs SET note = $1 WHERE status = $2 AND priority <= $3 AND id = $4")
        #expect(query.bindings.count == 4)
        let joined = PostgresQuery.joined(["a = \(1)", "b = \(2)", "c = \(3)"], separator: " OR ")
        #expect(joined.sql == "a = $1 OR b = $2 OR c = $3")
    }

    @Test func identifiersAreQuoted() {
        let query: PostgresQuery = "LISTEN \(identifier: "render\"; DROP")"
        #expect(query.sql == "LISTEN \"render\"\"; DROP\"")
        #expect(query.bindings.isEmpty)
    }

    @Test func nilBecomesNull() {
        let missing: String? = nil
        let query: PostgresQuery = "SELECT \(missing)"
        #expect(query.bindings.count == 1)
        #expect(query.bindings[0].bytes == nil)
    }
}
