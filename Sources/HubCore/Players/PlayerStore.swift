import Foundation
import HubPostgres

/// Unified players (SPEC §5): lookups through the `unified_players` view, overrides, links
/// between WSOP+ and GFX players, and profile images. Every change is recorded in
/// `activity_log` with the actor and reason.
package struct PlayerStore: Sendable {
    package let pool: PostgresPool
    /// Where a registered photo may be (renderers open it): one elsewhere is refused. nil: not
    /// checked here (submissions and the worker still check).
    package let media: MediaPolicy?

    package init(pool: PostgresPool, media: MediaPolicy? = nil) {
        self.pool = pool
        self.media = media
    }

    // MARK: Lookups

    /// Players whose name (or Korean name, or WSOP+ id) contains `text`, ignoring case; the
    /// source names are also compared as the linker compares them (spacing and accents ignored,
    /// Hangul kept). Exact names first, then names that begin with `text`, then by name. One
    /// statement with `text` bound, at most `limit` rows.
    /// - Throws: ``HubError`` `.usage` for an empty text.
    package func search(_ text: String, limit: Int = 50) async throws -> [UnifiedPlayer] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let key = WSOPFields.nameKey(trimmed)
        guard !key.isEmpty else { throw HubError(.usage, "the search text is empty") }
        return try await pool.query("""
            SELECT \(fragment: UnifiedPlayer.columns) FROM unified_players u
            WHERE strpos(lower(u.name), lower(\(trimmed))) > 0
               OR strpos(lower(coalesce(u.name_korean, '')), lower(\(trimmed))) > 0
               OR strpos(lower(coalesce(u.wsop_player_key, '')), lower(\(trimmed))) > 0
               OR EXISTS (SELECT 1 FROM wsop_players w WHERE w.id = u.wsop_player_id AND strpos(w.name_key, \(key)) > 0)
               OR EXISTS (SELECT 1 FROM gfx_players g WHERE g.id = u.gfx_player_id AND strpos(g.name_key, \(GFXHandRecord.nameKey(trimmed))) > 0)
            ORDER BY lower(u.name) = lower(\(trimmed)) DESC, strpos(lower(u.name), lower(\(trimmed))) = 1 DESC, u.name, u.player_ref
            LIMIT \(max(1, min(limit, 10_000)))
            """).map(UnifiedPlayer.decode)
    }

    /// Every player (at most `limit`), by name.
    package func list(limit: Int? = nil) async throws -> [UnifiedPlayer] {
        try await pool.query("SELECT \(fragment: UnifiedPlayer.columns) FROM unified_players ORDER BY name, player_ref LIMIT \(limit)")
            .map(UnifiedPlayer.decode)
    }

    /// The player `reference` names: `wsop:ID`, `gfx:ID` (a linked GFX player gives its unified
    /// row), a WSOP+ player id such as `P-1001`, or a name that matches exactly one player.
    /// - Throws: ``HubError`` `.notFound`, or `.usage` when a name matches several players (they are listed).
    package func player(_ reference: String) async throws -> UnifiedPlayer {
        let text = reference.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw HubError(.usage, "the player reference is empty") }
        if let match = text.wholeMatch(of: /(wsop|gfx):([0-9]+)/), let id = Int64(match.2) {
            let rows = match.1 == "wsop"
                ? try await pool.query("SELECT \(fragment: UnifiedPlayer.columns) FROM unified_players WHERE wsop_player_id = \(id)")
                : try await pool.query("SELECT \(fragment: UnifiedPlayer.columns) FROM unified_players WHERE gfx_player_id = \(id)")
            guard let row = rows.first else {
                throw HubError(.notFound, "player \(text) does not exist (hubctl players search NAME finds players)")
            }
            return try UnifiedPlayer.decode(row)
        }
        let byKey = try await pool.query("SELECT \(fragment: UnifiedPlayer.columns) FROM unified_players WHERE wsop_player_key = \(text)")
        if let row = byKey.first { return try UnifiedPlayer.decode(row) }
        let key = WSOPFields.nameKey(text)
        let matches = try await list()
            .filter { WSOPFields.nameKey($0.name) == key || ($0.nameKorean.map(WSOPFields.nameKey) == key) }
        switch matches.count {
        case 1: return matches[0]
        case 0: throw HubError(.notFound, "no player is called \"\(text)\" (hubctl players search finds partial names; refs look like wsop:12 or gfx:7)")
        default:
            throw HubError(.usage, "\"\(text)\" names \(matches.count) players: \(matches.map { "\($0.ref) (\($0.name))" }.joined(separator: ", ")); use the ref")
        }
    }

    /// What each source says about the player, field by field: `show` prints it beside the merged value.
    package struct Explanation: Sendable, Hashable, Codable {
        package var player: UnifiedPlayer
        /// The value each source has for each field (the winner and the ones it beat).
        package var candidates: [PlayerField: [PlayerSource: String]]
        /// Every override of the player, newest first, with whether it applies now.
        package var overrides: [PlayerOverride]
    }

    /// The player with every source's value and every override.
    package func explain(_ reference: String) async throws -> Explanation {
        let player = try await player(reference)
        var candidates: [PlayerField: [PlayerSource: String]] = [:]
        func add(_ field: PlayerField, _ source: PlayerSource, _ value: String?) {
            guard let value, !value.isEmpty else { return }
            candidates[field, default: [:]][source] = value
        }
        if let id = player.wsopPlayerID {
            for row in try await pool.query("""
                SELECT w.name, w.country_code, w.profile_image_url,
                       (SELECT c.chips FROM wsop_chip_counts c WHERE c.player_id = w.id ORDER BY c.recorded_at DESC LIMIT 1)
                FROM wsop_players w WHERE w.id = \(id)
                """) {
                add(.name, .wsop, try row.decode(String?.self, at: 0))
                add(.countryCode, .wsop, try row.decode(String?.self, at: 1))
                add(.profileImage, .wsop, try row.decode(String?.self, at: 2))
                add(.chipCount, .wsop, try row.decode(Int64?.self, at: 3).map(String.init))
            }
        }
        if let id = player.gfxPlayerID {
            for row in try await pool.query("""
                SELECT g.name,
                       (SELECT hp.end_stack FROM gfx_hand_players hp JOIN gfx_hands h ON h.id = hp.hand_id
                        WHERE hp.player_id = g.id ORDER BY h.started_at DESC LIMIT 1),
                       (SELECT count(*) FROM gfx_hand_players hp WHERE hp.player_id = g.id)
                FROM gfx_players g WHERE g.id = \(id)
                """) {
                add(.name, .gfx, try row.decode(String?.self, at: 0))
                add(.chipCount, .gfx, try row.decode(Int64?.self, at: 1).map(String.init))
                let hands = try row.decode(Int64.self, at: 2)
                add(.handData, .gfx, hands > 0 ? "\(hands) hands" : nil)
            }
        }
        let overrides = try await self.overrides(of: player)
        for item in overrides.reversed() where item.state == .applied { add(item.field, .manual, item.value) }
        if let image = try await pool.query("""
            SELECT path FROM profile_images WHERE active AND (wsop_player_id = \(player.wsopPlayerID) OR gfx_player_id = \(player.gfxPlayerID))
            ORDER BY id DESC LIMIT 1
            """).first {
            add(.profileImage, .manual, try image.decode(String.self, at: 0))
        }
        return Explanation(player: player, candidates: candidates, overrides: overrides)
    }

    /// Every override of `player`, newest first.
    package func overrides(of player: UnifiedPlayer) async throws -> [PlayerOverride] {
        try await pool.query("""
            SELECT id, field, value, active, valid_from, valid_until, reason, created_by, created_at,
                   CASE WHEN NOT active THEN 'inactive' WHEN valid_from > now() THEN 'scheduled'
                        WHEN valid_until IS NOT NULL AND valid_until <= now() THEN 'expired' ELSE 'applied' END
            FROM player_overrides
            WHERE wsop_player_id = \(player.wsopPlayerID) OR gfx_player_id = \(player.gfxPlayerID)
            ORDER BY id DESC
            """).map { row in
            PlayerOverride(id: try row.decode(Int64.self, at: 0), field: PlayerField(rawValue: try row.decode(String.self, at: 1)) ?? .name,
                           value: try row.decode(String.self, at: 2), active: try row.decode(Bool.self, at: 3),
                           validFrom: try row.decode(Date.self, at: 4), validUntil: try row.decode(Date?.self, at: 5),
                           reason: try row.decode(String?.self, at: 6), createdBy: try row.decode(String.self, at: 7),
                           createdAt: try row.decode(Date.self, at: 8),
                           state: PlayerOverride.State(rawValue: try row.decode(String.self, at: 9)) ?? .inactive)
        }
    }

    // MARK: Overrides

    /// Checks a field name and value for an override.
    /// - Throws: ``HubError`` `.usage` naming the fields that can be overridden.
    package static func validateOverride(field name: String, value: String) throws -> PlayerField {
        guard let field = PlayerField(rawValue: name) else {
            throw HubError(.usage, "unknown player field \"\(name)\": overridable fields are \(PlayerField.overridable.map(\.rawValue).joined(separator: ", "))")
        }
        guard field.isOverridable else {
            let why = field == .profileImage
                ? "register a photo with hubctl players image PLAYER FILE"
                : "it comes from \(field.priority.map(\.rawValue).joined(separator: " and ")) only"
            throw HubError(.usage, "\(field.rawValue) cannot be overridden: \(why)")
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw HubError(.usage, "the value for \(field.rawValue) is empty (use --deactivate to remove an override)") }
        if field == .countryCode, trimmed.wholeMatch(of: /[A-Z]{2,3}/) == nil {
            throw HubError(.usage, "country_code must be an ISO code in capitals (KR, US, GBR), not \"\(value)\"")
        }
        return field
    }

    /// Adds an override of `field` for `player`, valid from `validFrom` (now) until `validUntil`
    /// (open-ended). It references the WSOP+ player when there is one, else the GFX player.
    /// - Returns: the override's id.
    package func override(_ player: UnifiedPlayer, field name: String, value: String, validFrom: Date? = nil, validUntil: Date? = nil,
                         actor: String, reason: String?) async throws -> Int64 {
        let field = try Self.validateOverride(field: name, value: value)
        if let validUntil, validUntil <= (validFrom ?? Date()) {
            throw HubError(.usage, "the override would end before it begins (--until must be after --from and in the future)")
        }
        let value = value.trimmingCharacters(in: .whitespacesAndNewlines)
        return try await pool.withTransaction { connection in
            let id = try await connection.query("""
                INSERT INTO player_overrides (wsop_player_id, gfx_player_id, field, value, valid_from, valid_until, reason, created_by)
                VALUES (\(player.wsopPlayerID), \(player.wsopPlayerID == nil ? player.gfxPlayerID : nil), \(field.rawValue), \(value),
                        coalesce(\(validFrom), now()), \(validUntil), \(reason), \(actor))
                RETURNING id
                """)[0].decode(Int64.self, at: 0)
            try await Self.log(connection, actor: actor, action: "player_override", player: player, reason: reason,
                               details: ["override_id": .integer(id), "field": .string(field.rawValue), "value": .string(value)])
            return id
        }
    }

    /// Switches an override off.
    /// - Throws: ``HubError`` `.notFound`, or `.conflict` when it is already off.
    package func deactivateOverride(_ id: Int64, actor: String, reason: String?) async throws {
        try await pool.withTransaction { connection in
            let rows = try await connection.query("SELECT active, field FROM player_overrides WHERE id = \(id) FOR UPDATE")
            guard let row = rows.first else { throw HubError(.notFound, "override \(id) does not exist") }
            guard try row.decode(Bool.self, at: 0) else { throw HubError(.conflict, "override \(id) is already inactive") }
            try await connection.execute("UPDATE player_overrides SET active = false WHERE id = \(id)")
            try await connection.execute("""
                INSERT INTO activity_log (actor, action, entity_type, entity_id, reason, details)
                VALUES (\(actor), 'player_override_deactivated', 'player_override', \(String(id)), \(reason), '{}'::jsonb)
                """)
        }
    }

    // MARK: Links

    /// Links a WSOP+ player and a GFX player by hand. A manual link wins: it replaces automatic
    /// links of either player; an existing manual link of either is refused (unlink it first).
    package func link(wsop wsopReference: String, gfx gfxReference: String, actor: String, reason: String?) async throws -> UnifiedPlayer {
        let wsop = try await player(wsopReference)
        let gfx = try await player(gfxReference)
        guard let wsopID = wsop.wsopPlayerID else { throw HubError(.usage, "\(wsopReference) is not a WSOP+ player (\(wsop.ref))") }
        guard let gfxID = gfx.gfxPlayerID else { throw HubError(.usage, "\(gfxReference) is not a PokerGFX player (\(gfx.ref))") }
        try await pool.withTransaction { connection in
            let existing = try await connection.query("""
                SELECT wsop_player_id, gfx_player_id, method FROM player_link_mapping
                WHERE wsop_player_id = \(wsopID) OR gfx_player_id = \(gfxID) FOR UPDATE
                """)
            for row in existing {
                let (w, g, method) = (try row.decode(Int64.self, at: 0), try row.decode(Int64.self, at: 1), try row.decode(String.self, at: 2))
                if w == wsopID && g == gfxID && method == "manual" {
                    throw HubError(.conflict, "wsop:\(wsopID) and gfx:\(gfxID) are already linked by hand")
                }
                if method == "manual" && !(w == wsopID && g == gfxID) {
                    throw HubError(.conflict, "wsop:\(w) is linked by hand to gfx:\(g): run hubctl players unlink wsop:\(w) first")
                }
            }
            try await connection.execute("DELETE FROM player_link_mapping WHERE wsop_player_id = \(wsopID) OR gfx_player_id = \(gfxID)")
            try await connection.execute("DELETE FROM player_link_blocks WHERE wsop_player_id = \(wsopID) AND gfx_player_id = \(gfxID)")
            try await connection.execute("""
                INSERT INTO player_link_mapping (wsop_player_id, gfx_player_id, method, confidence, linked_by, reason)
                VALUES (\(wsopID), \(gfxID), 'manual', 1.0, \(actor), \(reason))
                """)
            try await Self.log(connection, actor: actor, action: "player_link", player: wsop, reason: reason,
                               details: ["gfx_player_id": .integer(gfxID), "replaced": .integer(Int64(existing.count))])
        }
        return try await player("wsop:\(wsopID)")
    }

    /// Removes the link of `reference` and blocks the pair, so the automatic linker never links
    /// them again (a later manual link lifts the block).
    /// - Returns: the two players, now apart.
    package func unlink(_ reference: String, actor: String, reason: String?) async throws -> (wsop: Int64, gfx: Int64) {
        let player = try await player(reference)
        guard let wsopID = player.wsopPlayerID, let gfxID = player.gfxPlayerID else {
            throw HubError(.conflict, "\(player.ref) (\(player.name)) is not linked")
        }
        try await pool.withTransaction { connection in
            try await connection.execute("DELETE FROM player_link_mapping WHERE wsop_player_id = \(wsopID) AND gfx_player_id = \(gfxID)")
            try await connection.execute("""
                INSERT INTO player_link_blocks (wsop_player_id, gfx_player_id, blocked_by, reason) VALUES (\(wsopID), \(gfxID), \(actor), \(reason))
                ON CONFLICT DO NOTHING
                """)
            try await Self.log(connection, actor: actor, action: "player_unlink", player: player, reason: reason,
                               details: ["gfx_player_id": .integer(gfxID)])
        }
        return (wsopID, gfxID)
    }

    // MARK: Images

    /// Registers a profile photo for `player`: the file must be a real PNG or JPEG (checked by its
    /// content, not its name) inside the media roots (``media``). It replaces the player's
    /// previous photo.
    /// - Returns: the stored path (absolute) and the image's properties.
    /// - Throws: ``HubError`` `.refused` for a file outside the media roots, `.usage` for one that
    ///   is not a PNG or JPEG, `.notFound` for one that cannot be read.
    package func registerImage(_ player: UnifiedPlayer, file path: String, actor: String, reason: String?) async throws -> ImageProbe.Info {
        let image = try prepareImage(path, missing: .notFound)
        try await pool.withTransaction { connection in
            try await Self.storeImage(image, wsopPlayerID: player.wsopPlayerID, gfxPlayerID: player.gfxPlayerID, actor: actor, on: connection)
            try await Self.log(connection, actor: actor, action: "player_image", player: player, reason: reason,
                               details: ["path": .string(image.path), "width": .integer(Int64(image.info.width)),
                                         "height": .integer(Int64(image.info.height))])
        }
        return image.info
    }

    // MARK: Linking

    /// Runs the automatic linker (normalized names; manual links and blocks respected).
    package func autoLink() async throws -> PlayerLinker.Report {
        try await PlayerLinker(pool: pool).link()
    }

    static func log(_ connection: PostgresConnection, actor: String, action: String, player: UnifiedPlayer, reason: String?,
                    details: [String: JSONValue]) async throws {
        try await connection.execute("""
            INSERT INTO activity_log (actor, action, entity_type, entity_id, reason, details)
            VALUES (\(actor), \(action), 'player', \(player.ref), \(reason), \(PostgresJSON(details)))
            """)
    }
}
