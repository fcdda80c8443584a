import Foundation

/// A PokerGFX export of one long final-table session, for the graphics benchmark: nine players,
/// the blinds up every 60 hands (with a big-blind ante), a player busted about every 110 hands
/// until two are left (their `EliminationRank` sticks on later hands with 0 chips), stacks moving
/// every hand; deterministic for a given size.
struct FinalTableExport {
    static let names = ["Lipauka", "Voronin", "김민수", "Phil Ivey", "Negreanu", "Kara Stone", "José Álvarez", "Liv Moon", "Tom Dwan"]
    let game: Int64
    let start = Date(timeIntervalSince1970: 1_765_000_000)

    /// The JSON of the export with hands 1…`hands`.
    func data(hands: Int) throws -> Data {
        var stacks = [Int64](repeating: 3_000_000, count: Self.names.count)
        var ranks = [Int](repeating: -1, count: Self.names.count)
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return seed >> 33
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var list: [[String: Any]] = []
        for number in 1...max(1, hands) {
            let level = (number - 1) / 60
            let bigBlind = Int64(20_000 + level * 10_000)
            let smallBlind = bigBlind / 2 + (level % 2 == 1 ? 5_000 : 0)
            let alive = ranks.indices.filter { ranks[$0] < 0 }
            // Chips move from one live player to another.
            if alive.count >= 2 {
                let from = alive[Int(next() % UInt64(alive.count))]
                var to = alive[Int(next() % UInt64(alive.count))]
                if to == from { to = alive[(alive.firstIndex(of: from)! + 1) % alive.count] }
                let amount = min(stacks[from] - 1, Int64(next() % 8 + 1) * bigBlind)
                if amount > 0 { stacks[from] -= amount; stacks[to] += amount }
            }
            // A bust about every 110 hands: the shortest stack goes to the leader.
            if number % 110 == 0 && alive.count > 2 {
                let out = alive.min { stacks[$0] < stacks[$1] }!
                let leader = alive.max { stacks[$0] < stacks[$1] }!
                stacks[leader] += stacks[out]
                stacks[out] = 0
                ranks[out] = alive.count
            }
            list.append([
                "HandNum": number, "StartDateTimeUTC": formatter.string(from: start.addingTimeInterval(Double(number) * 95)),
                "Duration": "PT1M\(10 + Int(next() % 40))S", "GameVariant": "HOLDEM", "GameClass": "FLOP", "BetStructure": "NOLIMIT",
                "AnteAmt": level > 0 ? bigBlind : 0, "BombPotAmt": 0, "NumBoards": 1, "RunItNumTimes": 1, "Description": "",
                "FlopDrawBlinds": ["AnteType": "BB_ANTE_BB1ST", "BigBlindAmt": bigBlind, "SmallBlindAmt": smallBlind, "BlindLevel": level + 1,
                                   "ButtonPlayerNum": number % 9 + 1, "BigBlindPlayerNum": (number + 2) % 9 + 1, "SmallBlindPlayerNum": (number + 1) % 9 + 1,
                                   "ThirdBlindAmt": 0, "ThirdBlindPlayerNum": 0],
                "Players": Self.names.indices.map { index -> [String: Any] in
                    ["PlayerNum": index + 1, "Name": Self.names[index], "LongName": "", "HoleCards": [""], "StartStackAmt": stacks[index],
                     "EndStackAmt": stacks[index], "CumulativeWinningsAmt": 0, "BlindBetStraddleAmt": 0, "SittingOut": false,
                     "EliminationRank": ranks[index], "VPIPPercent": Double(next() % 600) / 10, "PreFlopRaisePercent": 10,
                     "AggressionFrequencyPercent": 0, "WentToShowDownPercent": 0]
                },
                "Events": [["EventType": "FOLD", "PlayerNum": 4, "BetAmt": 0, "Pot": 0, "BoardNum": 0, "NumCardsDrawn": 0, "BoardCards": NSNull(), "DateTimeUTC": NSNull()]],
            ])
        }
        let export: [String: Any] = [
            "ID": game, "CreatedDateTimeUTC": "2025-12-06T05:46:40Z", "EventTitle": "MAIN EVENT FINAL TABLE", "Type": "FEATURE_TABLE",
            "SoftwareVersion": "PokerGFX 3.2", "Payouts": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "Hands": list,
        ]
        return try JSONSerialization.data(withJSONObject: export, options: [.sortedKeys])
    }

    /// The export's file name, as PokerGFX names it.
    var fileName: String { "PGFX_live_data_export GameID=\(game).json" }
}
