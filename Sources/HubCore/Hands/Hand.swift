import Foundation

/// One hand played at a feature table, as imported from a PokerGFX export: who sat where with what,
/// the cards, the board, every action, and how the hub graded it.
///
/// Hands are read with ``HandStore``. Amounts are chips as exported; cards are two characters,
/// rank then suit (`Ah`, `Td`, `9c`). Hole cards are empty when they were not shown.
public struct Hand: Sendable, Hashable, Codable, Identifiable {
    /// One seat of the hand.
    public struct Player: Sendable, Hashable, Codable {
        /// The seat (1-based, as exported).
        public var seat: Int
        /// The short name shown on screen.
        public var name: String
        /// The full name, when the export carried one.
        public var longName: String
        /// The hub's id of the player (`gfx_players`), when linked.
        public var playerID: Int64?
        /// Chips at the start of the hand.
        public var startStack: Int64
        /// Chips at the end of the hand.
        public var endStack: Int64
        /// The hole cards, empty when not shown.
        public var holeCards: [String]
        /// Whether the player sat out the hand.
        public var sittingOut: Bool
        /// The finishing place when the player busted in this hand, else nil.
        public var eliminationRank: Int?
        /// How often the player voluntarily put chips in preflop, as the export gave it (percent).
        public var vpipPercent: Double
        /// How often the player raised preflop, as the export gave it (percent).
        public var pfrPercent: Double
        /// The best five-card hand the player showed (nil when not graded: no shown cards).
        public var category: HandCategory?

        /// Creates a seat.
        public init(seat: Int, name: String, longName: String = "", playerID: Int64? = nil, startStack: Int64, endStack: Int64,
                    holeCards: [String] = [], sittingOut: Bool = false, eliminationRank: Int? = nil, vpipPercent: Double = 0,
                    pfrPercent: Double = 0, category: HandCategory? = nil) {
            self.seat = seat
            self.name = name
            self.longName = longName
            self.playerID = playerID
            self.startStack = startStack
            self.endStack = endStack
            self.holeCards = holeCards
            self.sittingOut = sittingOut
            self.eliminationRank = eliminationRank
            self.vpipPercent = vpipPercent
            self.pfrPercent = pfrPercent
            self.category = category
        }

        /// `endStack - startStack`.
        public var net: Int64 { endStack &- startStack }
    }

    /// One action or board card, in order.
    public struct Event: Sendable, Hashable, Codable {
        /// The position in the hand (0-based).
        public var sequence: Int
        /// As exported: `FOLD`, `CHECK`, `CALL`, `BET`, `ALL IN`, `BOARD CARD`, … (unknown types kept).
        public var type: String
        /// The seat that acted (0 for a board card).
        public var seat: Int
        /// The chips bet, called or raised to (0 for a fold, a check or a board card).
        public var amount: Int64
        /// The pot after the event.
        public var pot: Int64
        /// The card dealt, for a board card.
        public var boardCard: String?
        /// When it happened, when the export says.
        public var occurredAt: Date?

        /// Creates an event.
        public init(sequence: Int, type: String, seat: Int = 0, amount: Int64 = 0, pot: Int64 = 0, boardCard: String? = nil,
                    occurredAt: Date? = nil) {
            self.sequence = sequence
            self.type = type
            self.seat = seat
            self.amount = amount
            self.pot = pot
            self.boardCard = boardCard
            self.occurredAt = occurredAt
        }
    }

    /// The hub's id of the hand.
    public var id: Int64
    /// The PokerGFX session (the export's GameID): the game the hand belongs to.
    public var gameID: Int64
    /// The feature table.
    public var tableID: String
    /// The hand number within the game (it can repeat when a hand is restarted).
    public var handNumber: Int
    /// When the hand started.
    public var startedAt: Date
    /// When the hub imported it.
    public var importedAt: Date
    /// `HOLDEM`, `OMAHA`, …, as exported.
    public var gameVariant: String
    /// The betting structure (`NOLIMIT`, `POTLIMIT`, …), as exported.
    public var betStructure: String
    /// The ante.
    public var ante: Int64
    /// The final pot.
    public var pot: Int64
    /// The community cards in order.
    public var board: [String]
    /// The winner's seat.
    public var winnerSeat: Int?
    /// The winner's name (a split pot's names joined with " / ").
    public var winner: String?
    /// The seats of the hand, in seat order.
    public var players: [Player]
    /// The actions and board cards, in order.
    public var events: [Event]
    /// The best hand shown at the table (nil: nothing shown).
    public var grade: HandCategory?
    /// A full house or better was shown.
    public var isPremium: Bool
    /// Two of three: a premium hand shown, a long hand (≥ 1.5 × the game's average), trips or better.
    public var isBroadcastWorthy: Bool

    /// Creates a hand value (the hub reads hands with ``HandStore``; a consumer builds one in tests).
    public init(id: Int64, gameID: Int64, tableID: String, handNumber: Int, startedAt: Date, importedAt: Date = Date(),
                gameVariant: String = "", betStructure: String = "", ante: Int64 = 0, pot: Int64 = 0, board: [String] = [],
                winnerSeat: Int? = nil, winner: String? = nil, players: [Player] = [], events: [Event] = [], grade: HandCategory? = nil,
                isPremium: Bool = false, isBroadcastWorthy: Bool = false) {
        self.id = id
        self.gameID = gameID
        self.tableID = tableID
        self.handNumber = handNumber
        self.startedAt = startedAt
        self.importedAt = importedAt
        self.gameVariant = gameVariant
        self.betStructure = betStructure
        self.ante = ante
        self.pot = pot
        self.board = board
        self.winnerSeat = winnerSeat
        self.winner = winner
        self.players = players
        self.events = events
        self.grade = grade
        self.isPremium = isPremium
        self.isBroadcastWorthy = isBroadcastWorthy
    }

    enum CodingKeys: String, CodingKey {
        case id, gameID = "game_id", tableID = "table_id", handNumber = "hand_number", startedAt = "started_at", importedAt = "imported_at"
        case gameVariant = "game_variant", betStructure = "bet_structure", ante, pot, board, winnerSeat = "winner_seat", winner, players, events
        case grade, isPremium = "is_premium", isBroadcastWorthy = "broadcast_worthy"
    }
}

extension Hand.Player {
    enum CodingKeys: String, CodingKey {
        case seat, name, longName = "long_name", playerID = "player_id", startStack = "start_stack", endStack = "end_stack"
        case holeCards = "hole_cards", sittingOut = "sitting_out", eliminationRank = "elimination_rank", vpipPercent = "vpip_percent"
        case pfrPercent = "pfr_percent", category
    }
}

extension Hand.Event {
    enum CodingKeys: String, CodingKey {
        case sequence, type, seat, amount, pot, boardCard = "board_card", occurredAt = "occurred_at"
    }
}

/// Which hands ``HandStore/hands(_:)`` returns: every filter is optional and they combine.
public struct HandQuery: Sendable, Hashable {
    /// Only this game (the PokerGFX GameID).
    public var gameID: Int64?
    /// Only this feature table.
    public var tableID: String?
    /// Only hands started at or after this time.
    public var startedFrom: Date?
    /// Only hands started before this time.
    public var startedBefore: Date?
    /// Only premium hands (true) or only the others (false).
    public var premium: Bool?
    /// Only broadcast-worthy hands (true) or only the others (false).
    public var broadcastWorthy: Bool?
    /// At most this many hands per page (1…500).
    public var limit: Int
    /// The page after this one (``HandPage/nextCursor`` of the previous page).
    public var cursor: String?

    /// Creates a query; with no arguments, the latest 50 hands.
    public init(gameID: Int64? = nil, tableID: String? = nil, startedFrom: Date? = nil, startedBefore: Date? = nil, premium: Bool? = nil,
                broadcastWorthy: Bool? = nil, limit: Int = 50, cursor: String? = nil) {
        self.gameID = gameID
        self.tableID = tableID
        self.startedFrom = startedFrom
        self.startedBefore = startedBefore
        self.premium = premium
        self.broadcastWorthy = broadcastWorthy
        self.limit = limit
        self.cursor = cursor
    }
}

/// One page of hands, newest first.
public struct HandPage: Sendable, Hashable, Codable {
    /// The hands of this page, newest first.
    public var hands: [Hand]
    /// Pass it as ``HandQuery/cursor`` for the next page; nil on the last page.
    public var nextCursor: String?

    /// Creates a page.
    public init(hands: [Hand], nextCursor: String?) {
        self.hands = hands
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case hands, nextCursor = "next_cursor"
    }
}
