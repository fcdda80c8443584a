import Foundation

/// The WSOP+ export files (SPEC §4.2; Docs/wsop-import.md), in the order an export folder is
/// imported: events and tournament info first (so the other files find their event), payouts
/// after the tournament info that creates their event, the broadcast schedule last.
package enum WSOPEntity: String, Sendable, CaseIterable, Codable {
    case events, tournaments, players, chipCounts = "chip_counts", standings, payouts, schedule

    /// The file name in an export folder (matched case-insensitively).
    package var fileName: String { fileNames[0] }

    /// The names the file is found under, the usual one first (matched case-insensitively). A
    /// folder holding two of them imports both, in this order.
    package var fileNames: [String] {
        switch self {
        case .events: ["Events.json"]
        case .tournaments: ["tournament_data.csv", "tournaments.csv", "tournament.csv"]
        case .players: ["Players.json"]
        case .chipCounts: ["ChipCounts.csv"]
        case .standings: ["Standings.csv"]
        case .payouts: ["payout_structure.csv", "payouts.csv"]
        case .schedule: ["broadcast_schedule.csv", "schedule.csv"]
        }
    }
}
