/// The fixed, named set of derivations a catalog field can use (GRAPHICS.md §2). Docs/graphics.md
/// describes each; ``GraphicsDeriver`` implements them.
package enum GraphicsDerivation {
    /// Derivations of one row, by the composition's row source.
    package static let rowDerivations: [GraphicsCatalog.RowSource: Set<String>] = [
        .players: ["player.name", "player.chips", "player.bbs", "player.rank", "player.flag", "player.country_code", "player.prize", "player.vpip"],
        .payouts: ["payout.rank", "payout.prize"],
        .payoutsFromStartRank: ["payout.rank", "payout.prize"],
        .schedule: ["schedule.date", "schedule.time", "schedule.event_name", "schedule.channel"],
        .commentators: ["staff.name", "staff.sub"],
        .reporters: ["staff.name", "staff.sub"],
        .chipDenominations: ["denomination.value"],
        .tables: ["table.id", "table.event_name"],
    ]

    /// Derivations of a single field.
    package static let singles: Set<String> = [
        "event.series", "event.name", "event.day_name", "event.buy_in", "event.prize_pool", "event.entrants", "event.places_paid",
        "event.buy_in_fee", "event.total_fee", "event.paid_percent", "event.venue", "event.summary",
        "table.chips_in_play", "table.average_stack", "table.players_in_play", "table.id",
        "hand.blinds", "hand.level", "hand.number",
        "selected.name", "selected.flag", "selected.country_code", "selected.chips", "selected.bbs", "selected.vpip", "selected.share",
        "selected.rank",
        "selected.chips_10_hands_ago", "selected.chips_20_hands_ago", "selected.chips_30_hands_ago",
        "selected.change_10h", "selected.change_20h", "selected.change_30h",
        "others.chips", "others.share",
        "flow.chips_10h", "flow.chips_20h", "flow.chips_30h", "flow.max", "flow.min",
        "elimination.name", "elimination.rank", "elimination.prize", "elimination.flag",
        "at_risk.name", "at_risk.rank", "at_risk.prize", "at_risk.flag",
        "payouts.total", "payouts.start_rank",
        "schedule.next_time",
    ]

    /// Category objects a document can carry.
    package static let objects: Set<String> = ["chip_comparison", "chip_flow", "player_history", "at_risk", "elimination", "payouts"]

    /// The NULL-rule default of a derivation (GRAPHICS.md §2, reference §13): flags → the unknown
    /// flag, prizes → `$0`, payout ranks → `-`, country codes → `XX`, everything else → `""`.
    package static func defaultValue(for derivation: String, flags: GraphicsCatalog.Flags) -> String {
        if derivation.hasSuffix(".flag") { return flags.unknown }
        if derivation.hasSuffix(".prize") { return "$0" }
        if derivation == "payout.rank" { return "-" }
        if derivation.hasSuffix(".country_code") { return flags.unknownCountryCode }
        return ""
    }
}
