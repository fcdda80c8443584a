import Crypto
import Foundation
import HubPostgres

/// The manual values of a player an operator gives (`POST /api/v1/players`,
/// `PATCH /api/v1/players/{ref}`): every field nil is left as it is.
package struct PlayerChanges: Sendable, Hashable {
    package var name: String?
    package var nameKorean: String?
    /// ISO code in capitals (`KR`, `USA`).
    package var countryCode: String?
    package var bio: String?
    package var notableWins: String?
    /// A PNG or JPEG file inside the media roots, as `hubctl players image` takes.
    package var profileImage: String?

    /// Changes of the given fields.
    package init(name: String? = nil, nameKorean: String? = nil, countryCode: String? = nil, bio: String? = nil,
                notableWins: String? = nil, profileImage: String? = nil) {
        self.name = name
        self.nameKorean = nameKorean
        self.countryCode = countryCode
        self.bio = bio
        self.notableWins = notableWins
        self.profileImage = profileImage
    }

    /// Whether no field is given.
    package var isEmpty: Bool { texts.isEmpty && profileImage == nil }

    /// The text fields given, in ``PlayerField`` order.
    var texts: [(field: PlayerField, value: String)] {
        let all: [(PlayerField, String?)] = [(.name, name), (.nameKorean, nameKorean), (.countryCode, countryCode), (.bio, bio),
                                             (.notableWins, notableWins)]
        return all.compactMap { field, value in value.map { (field: field, value: $0) } }
    }

    /// The longest value each text field may have.
    static let maximumLength: [PlayerField: Int] = [.name: 200, .nameKorean: 200, .countryCode: 3, .bio: 4000, .notableWins: 4000]

    /// The text fields, trimmed and checked.
    /// - Throws: ``HubError`` `.usage` naming the field and what it must be.
    func validatedTexts() throws -> [(field: PlayerField, value: String)] {
        try texts.map { field, value in
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw HubError(.usage, "\(field.rawValue) must not be empty (leave it out to keep the current value)") }
            let limit = Self.maximumLength[field] ?? 4000
            guard trimmed.count <= limit else { throw HubError(.usage, "\(field.rawValue) is longer than \(limit) characters") }
            return (field: try PlayerStore.validateOverride(field: field.rawValue, value: trimmed), value: trimmed)
        }
    }
}

extension PlayerStore {
    /// A checked profile photo, ready to store.
    struct PreparedImage: Sendable {
        var path: String
        var info: ImageProbe.Info
        var byteSize: Int64
        var sha256: String
    }

    /// Checks a photo file: inside the media roots (``media``), readable, a real PNG or JPEG.
    /// - Parameter missing: the error code for a file that cannot be read (`hubctl players image`
    ///   says not found; a request body names a bad field).
    /// - Throws: ``HubError`` `.refused` outside the media roots, `missing` for an unreadable file,
    ///   `.usage` for one that is not a PNG or JPEG.
    func prepareImage(_ path: String, missing: HubError.Code = .usage) throws -> PreparedImage {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if let refusal = media?.refusal(of: url.path) {
            throw HubError(.refused, "\(url.path) cannot be a profile photo: \(refusal.reason). Render machines open photos only inside "
                + "\(media?.roots.joined(separator: ", ") ?? ""): put it there, or add its folder to HUB_MEDIA_ROOTS")
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw HubError(missing, "cannot read \(path): the file does not exist or is not readable")
        }
        let info = try ImageProbe.inspect(data, name: path)
        let hash = Hex.sha256(data)
        return PreparedImage(path: url.path, info: info, byteSize: Int64(data.count), sha256: hash)
    }

    /// Makes `image` the player's active photo (the previous one is kept, inactive).
    static func storeImage(_ image: PreparedImage, wsopPlayerID: Int64?, gfxPlayerID: Int64?, actor: String,
                           on connection: PostgresConnection) async throws {
        let gfx = wsopPlayerID == nil ? gfxPlayerID : nil
        try await connection.execute("""
            UPDATE profile_images SET active = false WHERE active AND (wsop_player_id = \(wsopPlayerID) OR gfx_player_id = \(gfx))
            """)
        try await connection.execute("""
            INSERT INTO profile_images (wsop_player_id, gfx_player_id, path, format, width, height, byte_size, sha256, uploaded_by)
            VALUES (\(wsopPlayerID), \(gfx), \(image.path), \(image.info.format.rawValue), \(image.info.width), \(image.info.height),
                    \(image.byteSize), \(image.sha256), \(actor))
            """)
    }

    /// Adds one override per text change, all open-ended from now, in one statement.
    static func storeOverrides(_ texts: [(field: PlayerField, value: String)], wsopPlayerID: Int64?, gfxPlayerID: Int64?, actor: String,
                               reason: String?, on connection: PostgresConnection) async throws {
        guard !texts.isEmpty else { return }
        try await connection.execute("""
            INSERT INTO player_overrides (wsop_player_id, gfx_player_id, field, value, reason, created_by)
            SELECT \(wsopPlayerID), \(wsopPlayerID == nil ? gfxPlayerID : nil), f, v, \(reason)::text, \(actor)::text
            FROM unnest(\(texts.map(\.field.rawValue))::text[], \(texts.map(\.value))::text[]) AS u(f, v)
            """)
    }

    /// What the activity log records of a change: the fields and their new values.
    static func details(_ texts: [(field: PlayerField, value: String)], image: PreparedImage?) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [:]
        for (field, value) in texts { fields[field.rawValue] = .string(value) }
        if let image { fields[PlayerField.profileImage.rawValue] = .string(image.path) }
        return ["fields": .object(fields)]
    }

    /// Creates a manual player: a person neither source has exported yet (schema doc §9
    /// "Create manual player"). Since the seed dropped `manual_players`, the person is a
    /// `wsop_players` row whose every value is a manual override, so the unified view shows the
    /// fields with source `manual`; a later WSOP+ export with the same player id fills in the
    /// WSOP+ values underneath. The activity log records it as `new_player` (schema doc §8.2).
    /// - Parameter wsopPlayerKey: the person's WSOP+ player id when known (`P-1234`); nil makes one (`M-…`).
    /// - Throws: ``HubError`` `.usage` for a missing name or a bad field, `.refused` for a photo
    ///   outside the media roots, `.conflict` when a player has that WSOP+ id.
    package func create(_ changes: PlayerChanges, wsopPlayerKey: String? = nil, actor: String, reason: String?) async throws -> UnifiedPlayer {
        guard let name = changes.name?.trimmingCharacters(in: .whitespacesAndNewlines), !name.isEmpty else {
            throw HubError(.usage, "a new player needs a name")
        }
        let texts = try changes.validatedTexts()
        let key: String
        if let given = wsopPlayerKey?.trimmingCharacters(in: .whitespaces) {
            guard given.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9._:-]{0,63}/) != nil else {
                throw HubError(.usage, "wsop_player_key must be 1 to 64 letters, digits, '.', '_', ':' or '-' (a WSOP+ player id such as P-1234), not \"\(given)\"")
            }
            key = given
        } else {
            key = "M-" + UUID().uuidString.prefix(12).lowercased()
        }
        let image = try changes.profileImage.map { try prepareImage($0) }
        let id = try await pool.withTransaction { connection -> Int64 in
            let rows = try await connection.query("""
                INSERT INTO wsop_players (player_key, name, name_key) VALUES (\(key), \(name), \(WSOPFields.nameKey(name)))
                ON CONFLICT (player_key) DO NOTHING RETURNING id
                """)
            guard let row = rows.first else {
                throw HubError(.conflict, "a player with WSOP+ id \(key) exists: change it with PATCH /api/v1/players/\(key)")
            }
            let id = try row.decode(Int64.self, at: 0)
            try await Self.storeOverrides(texts, wsopPlayerID: id, gfxPlayerID: nil, actor: actor, reason: reason, on: connection)
            if let image { try await Self.storeImage(image, wsopPlayerID: id, gfxPlayerID: nil, actor: actor, on: connection) }
            var details = Self.details(texts, image: image)
            details["source"] = .string(PlayerSource.manual.rawValue)
            details["wsop_player_key"] = .string(key)
            try await connection.execute("""
                INSERT INTO activity_log (actor, action, entity_type, entity_id, reason, details)
                VALUES (\(actor), \(NotificationRules.newPlayerRule), 'player', \("wsop:\(id)"), \(reason ?? NotificationRules.newPlayerTitle(name)),
                        \(PostgresJSON(details)))
                """)
            return id
        }
        return try await player("wsop:\(id)")
    }

    /// Changes a player's values by hand: each text field becomes an override from now on (the
    /// newest wins, as with ``override(_:field:value:validFrom:validUntil:actor:reason:)``), a
    /// photo replaces the registered one; one transaction, one `player_update` activity entry.
    /// - Throws: ``HubError`` `.usage` when nothing is given or a field is bad, `.refused` for a
    ///   photo outside the media roots, `.notFound` for an unknown player.
    package func update(_ reference: String, _ changes: PlayerChanges, actor: String, reason: String?) async throws -> UnifiedPlayer {
        guard !changes.isEmpty else {
            throw HubError(.usage, "nothing to change: give at least one of name, name_korean, country_code, bio, notable_wins, profile_image")
        }
        let texts = try changes.validatedTexts()
        let image = try changes.profileImage.map { try prepareImage($0) }
        let player = try await player(reference)
        try await pool.withTransaction { connection in
            try await Self.storeOverrides(texts, wsopPlayerID: player.wsopPlayerID, gfxPlayerID: player.gfxPlayerID, actor: actor,
                                          reason: reason, on: connection)
            if let image {
                try await Self.storeImage(image, wsopPlayerID: player.wsopPlayerID, gfxPlayerID: player.gfxPlayerID, actor: actor, on: connection)
            }
            try await Self.log(connection, actor: actor, action: "player_update", player: player, reason: reason,
                               details: Self.details(texts, image: image))
        }
        return try await self.player(player.ref)
    }
}
