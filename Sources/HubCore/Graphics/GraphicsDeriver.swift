import Foundation

/// Makes the `gfx_data` v3 document of one composition for one moment (GRAPHICS.md §2–§3): pure,
/// over a ``GraphicsMoment``. Optional fields without a value take their default (NULL rules);
/// a required one refuses the graphic, naming the composition, the field and the source that
/// lacked it; rows past the last slot are cut with a warning in the document's metadata.
package struct GraphicsDeriver: Sendable {
    package let catalog: GraphicsCatalog

    package init(catalog: GraphicsCatalog) { self.catalog = catalog }

    /// A derived value, or why there is none (the source that lacked it).
    enum Derived {
        case value(String)
        case missing(String)
    }

    /// What a slot shows.
    enum Row {
        case seat(GraphicsMoment.Seat, rank: Int)
        case payout(place: Int, cents: Int64)
        case schedule(GraphicsMoment.ScheduleEntry)
        case staff(GraphicsMoment.StaffMember)
        case denomination(Int64)
        case table(String)
    }

    /// The document of `composition` at `moment`.
    /// - Parameters:
    ///   - player: the player the graphic is about (`--player`: a name or `seat:N`).
    ///   - startRank: the first place of a payout table from a start rank.
    /// - Throws: ``HubError`` `.refused` when a required field has no value or there are too few
    ///   rows; `.usage` when the composition needs a player and none (or an ambiguous one) is
    ///   named; `.notFound` for a player not in the hand.
    package func document(_ composition: GraphicsCatalog.Composition, at moment: GraphicsMoment, player: String? = nil,
                         startRank: Int? = nil) throws -> GFXDataDocument {
        let context = try Context(catalog: catalog, composition: composition, moment: moment, player: player, startRank: startRank)
        var problems: [String] = []
        var warnings: [String] = []
        let defaults = { (field: GraphicsCatalog.Field) in
            field.defaultValue ?? GraphicsDerivation.defaultValue(for: field.derive, flags: catalog.flag)
        }

        // Slots
        var slots: [GFXDataDocument.Slot] = []
        if composition.slots > 0, let source = composition.rows {
            let (rows, rowsMissing) = context.rows(source)
            if rows.count < composition.minRows {
                problems.append("it needs at least \(composition.minRows) row\(composition.minRows == 1 ? "" : "s") of \(source.rawValue), and there \(rows.isEmpty ? "are none" : "is only \(rows.count)")\(rowsMissing.map { " (\($0))" } ?? "")")
            }
            if rows.count > composition.slots {
                warnings.append("\(rows.count) rows of \(source.rawValue) for \(composition.slots) slots: rows after \(composition.slots) were cut")
            }
            for index in 0..<composition.slots {
                var fields: [String: String] = [:]
                for field in composition.slotFields {
                    guard index < rows.count else { fields[field.key] = defaults(field); continue }
                    switch field.derive == "static" ? .value(field.value ?? "") : context.derive(field.derive, row: rows[index]) {
                    case .value(let text): fields[field.key] = text
                    case .missing(let why):
                        if field.required { problems.append("required field \(field.key) of slot \(index + 1) has no value (\(why))") }
                        fields[field.key] = defaults(field)
                    }
                }
                slots.append(GFXDataDocument.Slot(slotIndex: index + 1, fields: fields))
            }
        }

        // Single fields
        var singles: [String: String] = [:]
        var defaulted: [String] = []
        for field in composition.singleFields {
            switch field.derive == "static" ? .value(field.value ?? "") : context.derive(field.derive) {
            case .value(let text): singles[field.key] = text
            case .missing(let why):
                if field.required { problems.append("required field \(field.key) has no value (\(why))") }
                singles[field.key] = defaults(field)
                defaulted.append(field.key)
            }
        }

        guard problems.isEmpty else {
            throw HubError(.refused, "\"\(composition.name)\" cannot be made for game \(moment.gameID) hand \(moment.hand.number): "
                + DataBinder.summarize(problems))
        }

        var document = GFXDataDocument(
            compName: composition.name, renderType: composition.renderType, category: composition.category.rawValue, slots: slots, singleFields: singles,
            metadata: GFXDataDocument.Metadata(
                sessionID: moment.gameID, handNum: moment.hand.number, handID: moment.hand.id, tableID: moment.tableID, eventID: moment.event?.key,
                blindLevel: moment.hand.blindsText, dataSources: moment.dataSources,
                generatedAt: ISO8601DateFormatter().string(from: moment.takenAt), warnings: warnings))
        document.metadata.defaulted = defaulted.isEmpty ? nil : defaulted.sorted()
        for object in composition.objects {
            switch object {
            case "chip_comparison": document.chipComparison = context.chipComparison
            case "chip_flow": document.chipFlow = context.chipFlow
            case "player_history": document.playerHistory = context.playerHistory
            case "at_risk": document.atRisk = context.atRisk
            case "elimination": document.elimination = context.elimination
            case "payouts": document.payouts = context.payoutTable(slots: composition.slots)
            default: break
            }
        }
        return document
    }
}

extension GraphicsDeriver {
    /// The moment seen by one composition: ranks, the selected player, payouts by place.
    struct Context {
        let catalog: GraphicsCatalog
        let moment: GraphicsMoment
        let ranked: [GraphicsMoment.Seat]
        let rankOf: [String: Int]
        let selected: GraphicsMoment.Seat?
        let selectedMissing: String
        let eliminated: GraphicsMoment.Seat?
        let eliminatedMissing: String
        /// Place → cents.
        let places: [Int: Int64]
        let payoutSource: String
        let payoutMissing: String
        let startRank: Int
        let composition: GraphicsCatalog.Composition

        init(catalog: GraphicsCatalog, composition: GraphicsCatalog.Composition, moment: GraphicsMoment, player: String?, startRank: Int?) throws {
            self.catalog = catalog
            self.composition = composition
            self.moment = moment
            ranked = moment.hand.ranked
            rankOf = Dictionary(uniqueKeysWithValues: ranked.enumerated().map { ($1.key, $0 + 1) })
            self.startRank = max(1, startRank ?? 1)
            let game = "game \(moment.gameID) hand \(moment.hand.number)"

            // Payouts: WSOP+ structure, else the session's own when not all zero.
            var places: [Int: Int64] = [:]
            if !moment.payouts.isEmpty {
                for range in moment.payouts where range.placeEnd >= range.placeStart && range.placeEnd - range.placeStart < 100_000 {
                    for place in range.placeStart...range.placeEnd { places[place] = range.amountCents }
                }
                payoutSource = "wsop_payouts"
            } else if moment.sessionPayouts.contains(where: { $0 > 0 }) {
                for (index, amount) in moment.sessionPayouts.enumerated() where amount > 0 {
                    if let cents = catalog.units.gfxPayouts.cents(amount) { places[index + 1] = cents }
                }
                payoutSource = "gfx_sessions.payouts"
            } else {
                payoutSource = ""
            }
            self.places = places
            payoutMissing = "no payout structure: wsop_payouts has none for \(moment.event.map { "event \($0.key)" } ?? "the table (no WSOP+ event linked to table \(moment.tableID))") and gfx_sessions.payouts of game \(moment.gameID) are all zero"

            // The eliminated player of this hand.
            let out = moment.eliminatedThisHand
            if composition.player == .eliminated {
                if let player {
                    let seat = try moment.seat(matching: player)
                    guard out.contains(where: { $0.key == seat.key }) else {
                        let earlier = moment.eliminatedEarlier.contains(seat.key) ? " (eliminated in an earlier hand)" : ""
                        throw HubError(.refused, "\"\(composition.name)\": \(seat.name) (seat \(seat.seat)) was not eliminated in \(game)\(earlier); eliminated in it: \(out.isEmpty ? "nobody" : out.map(\.name).joined(separator: ", "))")
                    }
                    eliminated = seat
                } else if out.count > 1 {
                    throw HubError(.usage, "\(out.count) players were eliminated in \(game): \(out.map { "\($0.name) (seat \($0.seat), place \($0.eliminationRank))" }.joined(separator: ", ")); name one with --player")
                } else {
                    eliminated = out.first
                }
            } else {
                eliminated = out.count == 1 ? out[0] : nil
            }
            eliminatedMissing = "gfx_hand_players.elimination_rank: nobody was eliminated for the first time in \(game)"

            if let player {
                selected = composition.player == .eliminated ? eliminated : try moment.seat(matching: player)
                selectedMissing = ""
            } else {
                if composition.player == .required {
                    let names = moment.hand.seats.map { "\($0.name) (seat \($0.seat))" }.joined(separator: ", ")
                    throw HubError(.usage, "\"\(composition.name)\" is about one player: name one with --player NAME or seat:N (players in \(game): \(names))")
                }
                selected = nil
                selectedMissing = "no player selected (--player)"
            }
        }

        var game: String { "game \(moment.gameID) hand \(moment.hand.number)" }

        func flag(_ code: String?) -> Derived {
            guard let code = code?.trimmingCharacters(in: .whitespaces), !code.isEmpty, code.uppercased() != catalog.flag.unknownCountryCode else {
                return .missing("no country for the player (unified_players.country_code)")
            }
            // The code fills the path pattern: a path or URL there would lead the renderer elsewhere.
            guard MediaPolicy.isPlainName(code) else {
                return .missing("the player's country \"\(code.prefix(40))\" is not a country code or name")
            }
            let pattern = moment.flagPattern ?? catalog.flag.path
            return .value(pattern.replacingOccurrences(of: "{value}", with: code.uppercased()).replacingOccurrences(of: "{value_lower}", with: code.lowercased()))
        }

        func bbs(_ stack: Int64) -> Derived {
            GraphicsFormat.bigBlinds(stack, bigBlind: moment.hand.bigBlind).map(Derived.value)
                ?? .missing("the big blind of hand \(moment.hand.number) is 0 or unknown (gfx_hands.blinds)")
        }

        func prize(place: Int) -> Derived {
            if let cents = places[place] { return .value(GraphicsFormat.money(cents: cents)) }
            return .missing(places.isEmpty ? payoutMissing : "\(payoutSource) has no payout for place \(place)")
        }

        /// The rows of a slot source, and why there are none.
        func rows(_ source: GraphicsCatalog.RowSource) -> ([Row], String?) {
            switch source {
            case .players:
                return (ranked.enumerated().map { .seat($1, rank: $0 + 1) }, "no player in play in \(game)")
            case .payouts, .payoutsFromStartRank:
                let from = source == .payouts ? 1 : startRank
                return (places.keys.sorted().filter { $0 >= from }.map { .payout(place: $0, cents: places[$0]!) },
                        places.isEmpty ? payoutMissing : "no payout from place \(from)")
            case .schedule:
                return (moment.schedule.map(Row.schedule), "broadcast_schedule has no broadcast from today (import broadcast_schedule.csv with hub-sync wsop)")
            case .commentators, .reporters:
                let role: GraphicsMoment.StaffMember.Role = source == .commentators ? .commentator : .reporter
                return (moment.staff.filter { $0.role == role }.map(Row.staff),
                        "broadcast_staff has no \(role.rawValue) for table \(moment.tableID)'s broadcast session (hubctl cue staff add)")
            case .chipDenominations:
                return ((composition.chipDenominations ?? catalog.chipDenominations).map(Row.denomination), "the catalog lists no chip_denominations")
            case .tables:
                return (moment.tables.map(Row.table), nil)
            }
        }

        /// A slot field's value for one row.
        func derive(_ name: String, row: Row) -> Derived {
            switch (name, row) {
            case ("player.name", .seat(let seat, _)): .value(seat.name.uppercased())
            case ("player.chips", .seat(let seat, _)): .value(GraphicsFormat.chips(seat.stack))
            case ("player.bbs", .seat(let seat, _)): bbs(seat.stack)
            case ("player.rank", .seat(_, let rank)): .value(String(rank))
            case ("player.flag", .seat(let seat, _)): flag(seat.countryCode)
            case ("player.country_code", .seat(let seat, _)): seat.countryCode.map { .value($0.uppercased()) } ?? .missing("no country for \(seat.name)")
            case ("player.prize", .seat(_, let rank)): prize(place: rank)
            case ("player.vpip", .seat(let seat, _)): .value(GraphicsFormat.percent(seat.vpipPercent))
            case ("payout.rank", .payout(let place, _)): .value(String(place))
            case ("payout.prize", .payout(_, let cents)): .value(GraphicsFormat.money(cents: cents))
            case ("schedule.date", .schedule(let entry)): GraphicsFormat.date(entry.date).map(Derived.value) ?? .missing("broadcast_schedule.broadcast_date \(entry.date)")
            case ("schedule.time", .schedule(let entry)): GraphicsFormat.time(entry.time).map(Derived.value) ?? .missing("broadcast_schedule.time_start \(entry.time)")
            case ("schedule.event_name", .schedule(let entry)): .value(entry.title)
            case ("schedule.channel", .schedule(let entry)): entry.channel.isEmpty ? .missing("broadcast_schedule.channel") : .value(entry.channel)
            case ("staff.name", .staff(let member)): .value(member.name)
            case ("staff.sub", .staff(let member)): member.socialHandle.isEmpty ? .missing("broadcast_staff.social_handle") : .value(member.socialHandle)
            case ("denomination.value", .denomination(let value)): .value(GraphicsFormat.chips(value))
            case ("table.id", .table(let id)): .value(id)
            case ("table.event_name", .table): derive("event.name")
            default: .missing("\(name) is not a derivation of this row")
            }
        }

        var eventMissing: String { "no WSOP+ event is linked to table \(moment.tableID) (hubctl cue session create --event KEY --table \(moment.tableID))" }

        /// A single field's value.
        func derive(_ name: String) -> Derived {
            let event = moment.event
            let hand = moment.hand
            switch name {
            case "event.series":
                if let series = event?.seriesName, !series.isEmpty { return .value(series) }
                return derive("event.name")
            case "event.name":
                if let event, !event.name.isEmpty { return .value(event.name) }
                if !moment.eventTitle.isEmpty { return .value(moment.eventTitle) }
                return .missing("wsop_events.name: \(eventMissing), and gfx_sessions.event_title of game \(moment.gameID) is empty")
            case "event.day_name":
                guard let event else { return .missing("wsop_events.day_name: \(eventMissing)") }
                return event.dayName.flatMap { $0.isEmpty ? nil : Derived.value($0) } ?? .missing("wsop_events.day_name of \(event.key) is empty (tournament_data.csv day_name)")
            case "event.buy_in", "event.total_fee":
                return dollars(event?.buyIn, "buy_in")
            case "event.prize_pool":
                return dollars(event?.prizePool, "prize_pool")
            case "event.entrants":
                return event?.entrants.map { .value(GraphicsFormat.chips(Int64($0))) } ?? .missing("wsop_events.entries: \(event == nil ? eventMissing : "not in the export")")
            case "event.places_paid":
                return event?.placesPaid.map { .value(GraphicsFormat.chips(Int64($0))) } ?? .missing("wsop_events.places_paid: \(event == nil ? eventMissing : "not in the export")")
            case "event.buy_in_fee":
                guard let buyIn = event?.buyIn, let rake = event?.rake, rake <= buyIn else {
                    return .missing("wsop_events.buy_in and rake: \(event == nil ? eventMissing : "not both in the export")")
                }
                return .value("\(GraphicsFormat.money(cents: (buyIn - rake) * 100)) + \(GraphicsFormat.money(cents: rake * 100))")
            case "event.paid_percent":
                guard let paid = event?.placesPaid, let entrants = event?.entrants, entrants > 0, paid >= 0, paid <= entrants else {
                    return .missing("wsop_events.places_paid and entries: \(event == nil ? eventMissing : "not both in the export")")
                }
                return .value(GraphicsFormat.percent(tenths: Int64(GraphicsFormat.roundedQuotient(UInt64(paid) * 1000, UInt64(entrants)))))
            case "event.venue":
                return event?.venue.flatMap { $0.isEmpty ? nil : Derived.value($0) } ?? .missing("wsop_events.venue: \(event == nil ? eventMissing : "empty")")
            case "event.summary":
                var parts: [String] = []
                if let entrants = event?.entrants { parts.append("\(GraphicsFormat.chips(Int64(entrants))) ENTRIES") }
                if let pool = event?.prizePool { parts.append("\(GraphicsFormat.money(cents: pool.multipliedReportingOverflow(by: 100).partialValue)) PRIZE POOL") }
                if let blinds = hand.blindsText { parts.append("BLINDS \(blinds)") }
                return parts.isEmpty ? .missing("wsop_events: \(eventMissing)") : .value(parts.joined(separator: "\n"))
            case "table.chips_in_play":
                guard !ranked.isEmpty else { return .missing("no player in play in \(game)") }
                return chipsInPlay.map { .value(GraphicsFormat.chips($0)) } ?? .missing("the chips in play of \(game) do not fit")
            case "table.players_in_play":
                return .value(String(ranked.count))
            case "table.id":
                return .value(moment.tableID)
            case "table.average_stack":
                guard !ranked.isEmpty else { return .missing("no player in play in \(game)") }
                guard let chipsInPlay else { return .missing("the chips in play of \(game) do not fit") }
                let average = Int64(GraphicsFormat.roundedQuotient(UInt64(chipsInPlay), UInt64(ranked.count)))
                guard hand.bigBlind > 0 else { return .value(GraphicsFormat.chips(average)) }
                let bbs = GraphicsFormat.roundedQuotient(UInt64(average), UInt64(hand.bigBlind))
                return .value("\(GraphicsFormat.chips(average)) (\(GraphicsFormat.chips(Int64(bbs)))BB)")
            case "hand.blinds":
                return hand.blindsText.map(Derived.value) ?? .missing("gfx_hands.blinds of hand \(hand.number) has no blinds")
            case "hand.level":
                guard let level = hand.level, level > 0 else { return .missing("FlopDrawBlinds.BlindLevel of hand \(hand.number) is not set") }
                return .value("LEVEL \(level)")
            case "hand.number":
                return .value(String(hand.number))
            case "schedule.next_time":
                guard let next = moment.schedule.first, let date = GraphicsFormat.date(next.date), let time = GraphicsFormat.time(next.time) else {
                    return .missing("broadcast_schedule has no broadcast from today")
                }
                return .value("\(date) \(time)")
            case "payouts.total":
                guard !places.isEmpty else { return .missing(payoutMissing) }
                let (total, overflow) = places.values.reduce((Int64(0), false)) { sum, cents in
                    let next = sum.0.addingReportingOverflow(cents)
                    return (next.partialValue, sum.1 || next.overflow)
                }
                return overflow ? .missing("the payout total does not fit") : .value(GraphicsFormat.money(cents: total))
            case "payouts.start_rank":
                return .value(String(startRank))
            default:
                break
            }
            if name.hasPrefix("selected.") || name.hasPrefix("others.") || name.hasPrefix("flow.") { return deriveSelected(name) }
            if name.hasPrefix("elimination.") { return place(name.dropFirst("elimination.".count), of: elimination, seat: eliminated, missing: eliminatedMissing) }
            if name.hasPrefix("at_risk.") { return place(name.dropFirst("at_risk.".count), of: atRisk, seat: ranked.last, missing: atRiskMissing) }
            return .missing("unknown derivation \(name)")
        }

        func dollars(_ value: Int64?, _ column: String) -> Derived {
            guard let value else { return .missing("wsop_events.\(column): \(moment.event == nil ? eventMissing : "not in the export")") }
            let (cents, overflow) = value.multipliedReportingOverflow(by: 100)
            return overflow ? .missing("wsop_events.\(column) does not fit") : .value(GraphicsFormat.money(cents: cents))
        }

        /// The stacks in play added up; nil when the sum does not fit.
        var chipsInPlay: Int64? {
            ranked.reduce(Int64(0)) { sum, seat in
                sum.flatMap { let next = $0.addingReportingOverflow(seat.stack); return next.overflow ? nil : next.partialValue }
            }
        }

        func place(_ field: Substring, of value: GFXDataDocument.PlayerPlace?, seat: GraphicsMoment.Seat?, missing: String) -> Derived {
            guard let value, let seat else { return .missing(missing) }
            switch field {
            case "name": return .value(value.playerName)
            case "rank": return .value(String(value.rank))
            case "flag": return flag(seat.countryCode)
            case "prize": return prize(place: value.rank)
            default: return .missing("unknown field \(field)")
            }
        }

        /// The object carries the NULL rules' values too: `$0` for an unknown prize, the unknown flag.
        func playerPlace(_ seat: GraphicsMoment.Seat, rank: Int) -> GFXDataDocument.PlayerPlace {
            let prize: String = if case .value(let text) = self.prize(place: rank) { text } else { "$0" }
            let flag: String = if case .value(let text) = self.flag(seat.countryCode) { text } else { catalog.flag.unknown }
            return GFXDataDocument.PlayerPlace(playerName: seat.name.uppercased(), rank: rank, prize: prize, flag: flag)
        }

        var elimination: GFXDataDocument.PlayerPlace? {
            eliminated.map { playerPlace($0, rank: $0.eliminationRank) }
        }

        var atRiskMissing: String { "fewer than two players in play in \(game)" }

        var atRisk: GFXDataDocument.PlayerPlace? {
            guard ranked.count >= 2, let last = ranked.last else { return nil }
            return playerPlace(last, rank: ranked.count)
        }

        /// The selected player's stack N hands ago.
        func stack(handsAgo n: Int) -> (Int64?, String) {
            guard let selected else { return (nil, selectedMissing) }
            guard let hand = moment.handsAgo[n] else { return (nil, "hand \(moment.hand.number - n) is not in game \(moment.gameID)") }
            guard let seat = hand.seat(key: selected.key) else { return (nil, "\(selected.name) did not play hand \(hand.number)") }
            return (seat.stack, "")
        }

        func deriveSelected(_ name: String) -> Derived {
            guard let selected else { return .missing(selectedMissing) }
            switch name {
            case "selected.name": return .value(selected.name.uppercased())
            case "selected.flag": return flag(selected.countryCode)
            case "selected.country_code": return selected.countryCode.map { .value($0.uppercased()) } ?? .missing("no country for \(selected.name)")
            case "selected.chips": return .value(GraphicsFormat.chips(selected.stack))
            case "selected.bbs": return bbs(selected.stack)
            case "selected.vpip": return .value(GraphicsFormat.percent(selected.vpipPercent))
            case "selected.rank": return rankOf[selected.key].map { .value(String($0)) } ?? .missing("\(selected.name) is not in play")
            case "selected.share", "others.share", "others.chips":
                guard let comparison = chipComparison else { return .missing("\(selected.name) is not in play in \(game)") }
                switch name {
                case "selected.share": return .value(comparison.selectedPlayerPercent)
                case "others.share": return .value(comparison.othersPercent)
                default: return .value(comparison.othersChips)
                }
            case "flow.chips_10h", "flow.chips_20h", "flow.chips_30h":
                let n = name == "flow.chips_10h" ? 10 : name == "flow.chips_20h" ? 20 : 30
                let stacks = moment.selectedHistory.suffix(n).map(\.stack)
                return stacks.isEmpty ? .missing("\(selected.name) played no hand of game \(moment.gameID) up to hand \(moment.hand.number)")
                    : .value(stacks.map(String.init).joined(separator: ","))
            case "flow.max", "flow.min":
                let stacks = moment.selectedHistory.map(\.stack)
                guard let value = name == "flow.max" ? stacks.max() : stacks.min() else { return .missing("\(selected.name) played no hand") }
                return .value(GraphicsFormat.chips(value))
            default:
                for n in [10, 20, 30] {
                    if name == "selected.chips_\(n)_hands_ago" || name == "selected.change_\(n)h" {
                        let (ago, why) = stack(handsAgo: n)
                        guard let ago else { return .missing(why) }
                        return .value(name.hasSuffix("ago") ? GraphicsFormat.chips(ago) : GraphicsFormat.change(selected.stack &- ago))
                    }
                }
                return .missing("unknown derivation \(name)")
            }
        }

        var chipComparison: GFXDataDocument.ChipComparison? {
            guard let selected, selected.inPlay else { return nil }
            guard let total = chipsInPlay, total > 0 else { return nil }
            // stack × 1000 does not fit for large stacks: divide the full-width product (the quotient is at most 1000).
            let (quotient, remainder) = UInt64(total).dividingFullWidth(UInt64(selected.stack).multipliedFullWidth(by: 1000))
            let tenths = Int64(remainder >= UInt64(total) - remainder ? quotient + 1 : quotient)
            return GFXDataDocument.ChipComparison(
                selectedPlayerName: selected.name.uppercased(), selectedPlayerChips: GraphicsFormat.chips(selected.stack),
                selectedPlayerPercent: GraphicsFormat.percent(tenths: tenths), othersChips: GraphicsFormat.chips(total - selected.stack),
                othersPercent: GraphicsFormat.percent(tenths: 1000 - tenths))
        }

        var chipFlow: GFXDataDocument.ChipFlow? {
            guard let selected, !moment.selectedHistory.isEmpty else { return nil }
            let history = moment.selectedHistory.suffix(30)
            let stacks = history.map(\.stack)
            return GFXDataDocument.ChipFlow(
                playerName: selected.name.uppercased(), chips10h: Array(stacks.suffix(10)), chips20h: Array(stacks.suffix(20)), chips30h: stacks,
                hands30h: history.map(\.handNumber), maxLabel: GraphicsFormat.chips(stacks.max() ?? 0), minLabel: GraphicsFormat.chips(stacks.min() ?? 0))
        }

        var playerHistory: GFXDataDocument.PlayerHistory? {
            guard let selected else { return nil }
            let ago = [10, 20, 30].map { stack(handsAgo: $0).0 }
            func change(_ value: Int64?) -> String { value.map { GraphicsFormat.change(selected.stack &- $0) } ?? "" }
            return GFXDataDocument.PlayerHistory(
                currentChips: selected.stack, chips10HandsAgo: ago[0], chips20HandsAgo: ago[1], chips30HandsAgo: ago[2],
                chipChange10h: change(ago[0]), chipChange20h: change(ago[1]), chipChange30h: change(ago[2]))
        }

        func payoutTable(slots: Int) -> GFXDataDocument.Payouts? {
            guard !places.isEmpty else { return nil }
            let shown = places.keys.sorted().filter { $0 >= startRank }.prefix(slots > 0 ? slots : 9)
            let name: String = if case .value(let text) = derive("event.name") { text } else { "" }
            return GFXDataDocument.Payouts(
                eventName: name, startRank: startRank, source: payoutSource,
                entries: shown.enumerated().map { GFXDataDocument.Payouts.Entry(slotIndex: $0 + 1, rank: String($1), prize: GraphicsFormat.money(cents: places[$1]!)) })
        }
    }
}
