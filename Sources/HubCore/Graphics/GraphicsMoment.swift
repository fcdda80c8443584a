import Foundation

/// Everything the derivations read about one moment of a broadcast (GRAPHICS.md §2): a PokerGFX
/// session and a hand in it, the hands 10/20/30 before it, the selected player's recent stacks,
/// the linked WSOP+ event with its payouts, the schedule and the staff. Plain values: the
/// derivations over it are pure and testable without a database (``GraphicsStore`` loads it).
public struct GraphicsMoment: Sendable, Hashable {
    /// A seat of a hand.
    public struct Seat: Sendable, Hashable {
        public var seat: Int
        /// The name as exported (`Players[].Name`).
        public var gfxName: String
        /// The unified player's name (override > WSOP+ > GFX), not yet upper-cased.
        public var name: String
        public var countryCode: String?
        public var stack: Int64
        public var sittingOut: Bool
        /// `EliminationRank`: > 0 once eliminated (it sticks on later hands).
        public var eliminationRank: Int
        public var vpipPercent: Double

        public init(seat: Int, gfxName: String, name: String? = nil, countryCode: String? = nil, stack: Int64, sittingOut: Bool = false,
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
        public var inPlay: Bool { !sittingOut && stack > 0 && eliminationRank <= 0 }
        /// Who this is within a session: the seat and the exported name.
        public var key: String { Self.key(seat: seat, gfxName: gfxName) }
        public static func key(seat: Int, gfxName: String) -> String { "\(seat):\(gfxName.lowercased())" }
    }

    /// A hand of the session.
    public struct Hand: Sendable, Hashable {
        /// `gfx_hands.id`.
        public var id: Int64
        public var number: Int
        public var startedAt: Date
        public var smallBlind: Int64
        public var bigBlind: Int64
        public var thirdBlind: Int64
        public var ante: Int64
        /// `FlopDrawBlinds.BlindLevel` (0 when the operator does not set it).
        public var level: Int?
        public var seats: [Seat]

        public init(id: Int64, number: Int, startedAt: Date, smallBlind: Int64, bigBlind: Int64, thirdBlind: Int64 = 0, ante: Int64 = 0,
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
        public var ranked: [Seat] {
            seats.filter(\.inPlay).sorted { $0.stack != $1.stack ? $0.stack > $1.stack : $0.seat < $1.seat }
        }

        /// The seat of player `key`.
        public func seat(key: String) -> Seat? { seats.first { $0.key == key } }

        /// The blinds as text (`300K/600K (600K)`).
        public var blindsText: String? { GraphicsFormat.blinds(small: smallBlind, big: bigBlind, third: thirdBlind, ante: ante) }
    }

    /// The WSOP+ event linked to the table (through a broadcast session).
    public struct Event: Sendable, Hashable {
        public var key: String
        public var name: String
        public var seriesName: String?
        public var dayName: String?
        /// Whole dollars, rake included.
        public var buyIn: Int64?
        /// Whole dollars.
        public var rake: Int64?
        public var entrants: Int?
        public var placesPaid: Int?
        /// Whole dollars.
        public var prizePool: Int64?
        public var venue: String?

        public init(key: String, name: String, seriesName: String? = nil, dayName: String? = nil, buyIn: Int64? = nil, rake: Int64? = nil,
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
    public struct PayoutRange: Sendable, Hashable {
        public var placeStart: Int
        public var placeEnd: Int
        public var amountCents: Int64
        public init(placeStart: Int, placeEnd: Int, amountCents: Int64) {
            self.placeStart = placeStart
            self.placeEnd = placeEnd
            self.amountCents = amountCents
        }
    }

    /// A broadcast of the schedule, local date and time as exported.
    public struct ScheduleEntry: Sendable, Hashable {
        /// `2026-12-08`.
        public var date: String
        /// `18:00:00`.
        public var time: String
        public var title: String
        public var channel: String
        public init(date: String, time: String, title: String, channel: String = "") {
            self.date = date
            self.time = time
            self.title = title
            self.channel = channel
        }
    }

    /// A commentator or reporter of the broadcast session.
    public struct StaffMember: Sendable, Hashable {
        public enum Role: String, Sendable, Hashable, Codable, CaseIterable { case commentator, reporter }
        public var role: Role
        public var name: String
        public var socialHandle: String
        public init(role: Role, name: String, socialHandle: String = "") {
            self.role = role
            self.name = name
            self.socialHandle = socialHandle
        }
    }

    /// A stack of the selected player at a hand they played.
    public struct StackPoint: Sendable, Hashable {
        public var handNumber: Int
        public var stack: Int64
        public init(handNumber: Int, stack: Int64) {
            self.handNumber = handNumber
            self.stack = stack
        }
    }

    /// The PokerGFX session id (`GameID`).
    public var gameID: Int64
    public var tableID: String
    /// The export's `EventTitle` (often empty).
    public var eventTitle: String
    /// The export's `Payouts` in their declared unit (see ``GraphicsCatalog/Units``).
    public var sessionPayouts: [Int64]
    public var hand: Hand
    /// The hand before it in the session (by start time).
    public var previousHand: Hand?
    /// The hand numbered current − N (10, 20, 30), the latest started before the current one.
    public var handsAgo: [Int: Hand]
    /// Seat keys of the hand that showed an elimination rank in an earlier hand of the session
    /// (the loader checks only the hand's seats with a rank; the others cannot matter).
    public var eliminatedEarlier: Set<String>
    /// The selected player's stacks over the last 30 hands they played (not sitting out),
    /// oldest first, up to and including the current hand.
    public var selectedHistory: [StackPoint]
    public var event: Event?
    /// The event's payout structure (cents); empty when WSOP+ has none.
    public var payouts: [PayoutRange]
    /// The next broadcasts from today, in order.
    public var schedule: [ScheduleEntry]
    public var staff: [StaffMember]
    /// The registered `flag` media source's pattern, when there is one.
    public var flagPattern: String?
    /// When the data was taken.
    public var takenAt: Date
    /// The tables that feed data right now (the current one first), for hand-for-hand.
    public var tables: [String]
    /// Tables the moment's data came from.
    public var dataSources: [String]

    public init(gameID: Int64, tableID: String, eventTitle: String = "", sessionPayouts: [Int64] = [], hand: Hand, previousHand: Hand? = nil,
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
    public var eliminatedThisHand: [Seat] {
        hand.seats.filter { $0.eliminationRank > 0 && !eliminatedEarlier.contains($0.key) }
            .sorted { $0.eliminationRank > $1.eliminationRank }
    }

    /// The seat a request names: `seat:N` / `#N`, else a name (the unified or the exported one,
    /// case-insensitive).
    /// - Throws: ``HubError`` `.notFound` listing the hand's players, `.usage` when a name fits
    ///   several seats (naming them).
    public func seat(matching reference: String) throws -> Seat {
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
