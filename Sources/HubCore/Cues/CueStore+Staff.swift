import Foundation
import HubPostgres

extension CueStore {
    /// A commentator or reporter of a broadcast session.
    package struct StaffEntry: Sendable, Hashable, Codable {
        package var id: Int64
        package var sessionID: Int64
        package var role: GraphicsMoment.StaffMember.Role
        package var name: String
        package var socialHandle: String
        package var displayOrder: Int
        enum CodingKeys: String, CodingKey {
            case id, sessionID = "session_id", role, name, socialHandle = "social_handle", displayOrder = "display_order"
        }
    }

    /// Adds a commentator or reporter; `order` defaults to after the last of the role.
    /// - Throws: ``HubError`` `.notFound` for an unknown session, `.conflict` when the name is
    ///   already staff of that role, `.usage` for an empty name.
    package func addStaff(session sessionID: Int64, role: GraphicsMoment.StaffMember.Role, name: String, socialHandle: String = "",
                         order: Int? = nil) async throws -> StaffEntry {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw HubError(.usage, "the staff name is empty") }
        _ = try await session(sessionID)
        do {
            let row = try await pool.query("""
                INSERT INTO broadcast_staff (session_id, role, name, social_handle, display_order)
                VALUES (\(sessionID), \(role.rawValue), \(name), \(socialHandle.trimmingCharacters(in: .whitespaces)),
                        coalesce(\(order), (SELECT coalesce(max(display_order), 0) + 1 FROM broadcast_staff WHERE session_id = \(sessionID) AND role = \(role.rawValue))))
                RETURNING id, social_handle, display_order
                """)[0]
            return StaffEntry(id: try row.decode(Int64.self, at: 0), sessionID: sessionID, role: role, name: name,
                              socialHandle: try row.decode(String.self, at: 1), displayOrder: try row.decode(Int.self, at: 2))
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw HubError(.conflict, "\(name) is already a \(role.rawValue) of session \(sessionID)")
        }
    }

    /// The staff of a session: commentators, then reporters, each in display order.
    package func staff(session sessionID: Int64) async throws -> [StaffEntry] {
        try await pool.query("""
            SELECT id, session_id, role, name, social_handle, display_order FROM broadcast_staff
            WHERE session_id = \(sessionID) ORDER BY role, display_order, id
            """).map {
            StaffEntry(id: try $0.decode(Int64.self, at: 0), sessionID: try $0.decode(Int64.self, at: 1),
                       role: GraphicsMoment.StaffMember.Role(rawValue: try $0.decode(String.self, at: 2)) ?? .commentator,
                       name: try $0.decode(String.self, at: 3), socialHandle: try $0.decode(String.self, at: 4), displayOrder: try $0.decode(Int.self, at: 5))
        }
    }

    /// Removes a staff entry.
    /// - Throws: ``HubError`` `.notFound` when the session has no such entry.
    package func removeStaff(session sessionID: Int64, id: Int64) async throws {
        guard try await pool.execute("DELETE FROM broadcast_staff WHERE session_id = \(sessionID) AND id = \(id)") == 1 else {
            throw HubError(.notFound, "session \(sessionID) has no staff entry \(id): hubctl cue staff list \(sessionID) lists them")
        }
    }
}
