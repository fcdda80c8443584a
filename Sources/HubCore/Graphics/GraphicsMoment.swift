import Foundation

/// Everything the derivations read about one moment of a broadcast (GRAPHICS.md §2): a PokerGFX
/// session and a hand in it, the hands 10/20/30 before it, the selected player's recent stacks,
/// the linked WSOP+ event with its payouts, the schedule and the staff. Plain values: the
/// derivations over it are pure and testable without a database (``GraphicsStore`` loads it).
package struct GraphicsMoment: Sendable, Hashable {
    /// A seat of a hand.
    package struct Seat: Sendable, Hashable {
        package var seat: Int
        /// The name as exported (`Players[].Name`).
        package var gfxName: String
        /// The unified player's name (override > WSOP+ > GFX), not yet upper-cased.
        package var name: String
        package var countryCode: String?
        package var stack: Int64
        package var sittingOut: Bool
        /// `EliminationRank`: > 0 once eliminated (it sticks on later hands).
        package var eliminationRank: Int
        package var vpipPercent: Double

        package init(seat: Int, gfxName: String, name: String? = nil, countryCode: String? = nil, stack: Int64, sittingOut: Bool = false,
                    eliminationRank: Int = -1, vpipPercent: Double = 0) {
            self.seat = seat
            self.gfxName = gfxName
            self.name = name ?? gfxName
            self.countryCode = countryCode
            self.stack = stack
            self.sittingOut = sittingOut
            self.eliminationRank = eliminationRank
            self.vpipPercent = vpipPercent
        }

        /// In play: not sitting out, chips left, not eliminated.
        package var inPlay: Bool { !sittingOut && stack > 0 && eliminationRank <= 0 }
        /// Who this is within a session: the seat and the exported name.
        package var key: String { Self.key(seat: seat, gfxName: gfxName) }
        package static func key(seat: Int, gfxName: String) -> String { "\(seat):\(gfxName.lowercased())" }
    }

    /// A hand of the session.
    package struct Hand: Sendable, Hashable {
        /// `gfx_hands.id`.
        package var id: Int64
        package var number: Int
        package var startedAt: Date
        package var smallBlind: Int64
        package var bigBlind: Int64
        package var thirdBlind: Int64
        package var ante: Int64
        /// `FlopDrawBlinds.BlindLevel` (0 when the operator does not set it).
        package var level: Int?
        package var seats: [Seat]

        package init(id: Int64, number: Int, startedAt: Date, smallBlind: Int64, bigBlind: Int64, thirdBlind: Int64 = 0, ante: Int64 = 0,
                    level: Int? = nil, seats: [Seat]) {
            self.id = id
            self.number = number
            self.startedAt = startedAt
            self.smallBlind = smallBlind
            self.bigBlind = bigBlind
            self.thirdBlind = thirdBlind
            self.ante = ante
            self.level = level
            self.seats = seats
        }

        /// Players in play by rank: stack descending, ties by seat.
        package var ranked: [Seat] {
            seats.filter(\.inPlay).sorted { $0.stack != $1.stack ? $0.stack > $1.stack : $0.seat < $1.seat }
        }

        /// The seat of player `key`.
        package func seat(key: String) -> Seat? { seats.first { $0.key == key } }

        /// The blinds as text (`300K/600K (600K)`).
        package var blindsText: String? { GraphicsFormat.blinds(small: smallBlind, big: bigBlind, third: thirdBlind, ante: ante) }
    }

    /// The WSOP+ event linked to the table (through a broadcast session).
    package struct Event: Sendable, Hashable {
        package var key: String
        package var name: String
        package var seriesName: String?
        package var dayName: String?
        /// Whole dollars, rake included.
        package var buyIn: Int64?
        /// Whole dollars.
        package var rake: Int64?
        package var entrants: Int?
        package var placesPaid: Int?
        /// Whole dollars.
        package var prizePool: Int64?
        package var venue: String?

        package init(key: String, name: String, seriesName: String? = nil, dayName: String? = nil, buyIn: Int64? = nil, rake: Int64? = nil,
                    entrants: Int? = nil, placesPaid: Int? = nil, prizePool: Int64? = nil, venue: String? = nil) {
            self.key = key
            self.name = name
            self.seriesName = seriesName
            self.dayName = dayName
            self.buyIn = buyIn
            self.rake = rake
            self.entrants = entrants
            self.placesPaid = placesPaid
            self.prizePool = prizePool
            self.venue = venue
        }
    }

    /// A payout range: each place from `placeStart` to `placeEnd` wins `amountCents`.
    package struct PayoutRange: Sendable, Hashable {
        package var placeStart: Int
        package var placeEnd: Int
        package var amountCents: Int64
        package init(placeStart: Int, placeEnd: Int, amountCents: Int64) {
            self.placeStart = placeStart
            self.placeEnd = placeEnd
            self.amountCents = amountCents
        }
    }

    /// A broadcast of the schedule, local date and time as exported.
    package struct ScheduleEntry: Sendable, Hashable {
        /// `2026-12-08`.
        package var date: String
        /// `18:00:00`.
        package var time: String
        package var title: String
        package var channel: String
        package init(date: String, time: String, title: String, channel: String = "") {
            self.date = date
            self.time = time
            self.title = title
            self.channel = channel
        }
    }

    /// A commentator or reporter of the broadcast session.
    package struct StaffMember: Sendable, Hashable {
        package enum Role: String, Sendable, Hashable, Codable, CaseIterable { case commentator, reporter }
        package var role: Role
        package var name: String
        package var socialHandle: String
        package init(role: Role, name: String, socialHandle: String = "") {
            self.role = role
            self.name = name
            self.socialHandle = socialHandle
        }
    }

    /// A stack of the selected player at a hand they played.
    package struct StackPoint: Sendable, Hashable {
        package var handNumber: Int
        package var stack: Int64
        package init(handNumber: Int, stack: Int64) {
            self.handNumber = handNumber
            self.stack = stack
        }
    }

    /// The PokerGFX session id (`GameID`).
    package var gameID: Int64
    package var tableID: String
    /// The export's `EventTitle` (often empty).
    package var eventTitle: String
    /// The export's `Payouts` in their declared unit (see ``GraphicsCatalog/Units``).
    package var sessionPayouts: [Int64]
    package var hand: Hand
    /// The hand before it in the session (by start time).
    package var previousHand: Hand?
    /// The hand numbered current − N (10, 20, 30), the latest started before the current one.
    package var handsAgo: [Int: Hand]
    /// Seat keys of the hand that showed an elimination rank in an earlier hand of the session
    /// (the loader checks only the hand's seats with a rank; the others cannot matter).
    package var eliminatedEarlier: Set<String>
    /// The selected player's stacks over the last 30 hands they played (not sitting out),
    /// oldest first, up to and including the current hand.
    package var selectedHistory: [StackPoint]
    package var event: Event?
    /// The event's payout structure (cents); empty when WSOP+ has none.
    package var payouts: [PayoutRange]
    /// The next broadcasts from today, in order.
    package var schedule: [ScheduleEntry]
    package var staff: [StaffMember]
    /// The registered `flag` media source's pattern, when there is one.
    package var flagPattern: String?
    /// When the data was taken.
    package var takenAt: Date
    /// The tables that feed data right now (the current one first), for hand-for-hand.
    package var tables: [String]
    /// Tables the moment's data came from.
    package var dataSources: [String]

    package init(gameID: Int64, tableID: String, eventTitle: String = "", sessionPayouts: [Int64] = [], hand: Hand, previousHand: Hand? = nil,
                handsAgo: [Int: Hand] = [:], eliminatedEarlier: Set<String> = [], selectedHistory: [StackPoint] = [], event: Event? = nil,
                payouts: [PayoutRange] = [], schedule: [ScheduleEntry] = [], staff: [StaffMember] = [], flagPattern: String? = nil,
                takenAt: Date = Date(), tables: [String]? = nil, dataSources: [String] = ["gfx_sessions", "gfx_hands", "gfx_hand_players"]) {
        self.gameID = gameID
        self.tableID = tableID
        self.eventTitle = eventTitle
        self.sessionPayouts = sessionPayouts
        self.hand = hand
        self.previousHand = previousHand
        self.handsAgo = handsAgo
        self.eliminatedEarlier = eliminatedEarlier
        self.selectedHistory = selectedHistory
        self.event = event
        self.payouts = payouts
        self.schedule = schedule
        self.staff = staff
        self.flagPattern = flagPattern
        self.takenAt = takenAt
        self.tables = tables ?? [tableID]
        self.dataSources = dataSources
    }

    /// Players eliminated in this hand: an elimination rank for the first time in the session.
    package var eliminatedThisHand: [Seat] {
        hand.seats.filter { $0.eliminationRank > 0 && !eliminatedEarlier.contains($0.key) }
            .sorted { $0.eliminationRank > $1.eliminationRank }
    }

    /// The seat a request names: `seat:N` / `#N`, else a name (the unified or the exported one,
    /// case-insensitive).
    /// - Throws: ``HubError`` `.notFound` listing the hand's players, `.usage` when a name fits
    ///   several seats (naming them).
    package func seat(matching reference: String) throws -> Seat {
        let trimmed = reference.trimmingCharacters(in: .whitespaces)
        let lowered = trimmed.lowercased()
        var number: Int?
        if lowered.hasPrefix("seat:") { number = Int(lowered.dropFirst(5).trimmingCharacters(in: .whitespaces)) }
        if lowered.hasPrefix("#") { number = Int(lowered.dropFirst()) }
        let candidates: [Seat]
        if let number {
            candidates = hand.seats.filter { $0.seat == number }
        } else {
            candidates = hand.seats.filter { $0.name.lowercased() == lowered || $0.gfxName.lowercased() == lowered }
        }
        if candidates.count == 1 { return candidates[0] }
        let list = hand.seats.map { "seat \($0.seat) \($0.name)" }.joined(separator: ", ")
        if candidates.isEmpty {
            throw HubError(.notFound, "no player \"\(trimmed)\" in hand \(hand.number) of game \(gameID); its players: \(list)")
        }
        throw HubError(.usage, "\"\(trimmed)\" sits at seats \(candidates.map { String($0.seat) }.joined(separator: ", ")) in hand \(hand.number) of game \(gameID): name one with --player seat:N")
    }
}
