import Foundation

/// A corpus of real-size PokerGFX exports built from the real sample exports: every file a session
/// of its own (a new `ID` and `GameID=` file name), 50–130 hands each by default, every hand
/// distinct (its own HandNum and start time), the seats named from a pool of players so that the
/// master player table fills the way a season's does. The hands are the samples' hands (their
/// events, stacks, cards, blinds), serialized the way PokerGFX writes them (keys sorted, no
/// whitespace).
struct SyncCorpus {
    /// Where the sample exports are read from (every `.json` below; byte-identical files once).
    var sampleDirectories: [String]
    var files: Int
    var minHands: Int
    var maxHands: Int
    /// Distinct player names the seats are drawn from.
    var players: Int
    var seed: UInt64

    /// What was written.
    struct Summary: Codable, Equatable {
        var files: Int
        var hands: Int
        var bytes: Int64
        var minHands: Int
        var maxHands: Int
        var players: Int
        var seed: UInt64
        var templates: Int
    }

    /// A JSON text with holes: literal pieces between the places where values go.
    struct Template {
        enum Hole: Equatable { case handNum, start, name(Int), longName(Int), id, created, hands }
        var pieces: [String] = []
        var holes: [Hole] = []

        /// Splits `text` at the markers `@@name@@` (``marker(_:)``), which stand where a JSON value
        /// or a string's text goes (the samples hold no `@@`).
        init(_ text: String, holes parse: (String) -> Hole?) throws {
            var rest = Substring(text)
            while let open = rest.range(of: "@@") {
                pieces.append(String(rest[..<open.lowerBound]))
                guard let close = rest[open.upperBound...].range(of: "@@"), let hole = parse(String(rest[open.upperBound..<close.lowerBound])) else {
                    throw BenchError("corpus template: an unclosed or unknown marker")
                }
                holes.append(hole)
                rest = rest[close.upperBound...]
            }
            pieces.append(String(rest))
        }
    }

    static func marker(_ name: String) -> String { "@@\(name)@@" }

    /// The hands of every distinct sample export, as templates, and the header of the first export.
    func templates() throws -> (header: [String: Any], hands: [Template]) {
        var seen = Set<Data>()
        var header: [String: Any]?
        var hands: [Template] = []
        for directory in sampleDirectories {
            guard let enumerator = FileManager.default.enumerator(atPath: directory) else { continue }
            for case let relative as String in enumerator where relative.lowercased().hasSuffix(".json") {
                let data = try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(relative))
                guard seen.insert(data).inserted else { continue }
                guard var export = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                      let exportHands = export["Hands"] as? [[String: Any]] else {
                    throw BenchError("\(directory)/\(relative) is not a PokerGFX export")
                }
                export["Hands"] = nil
                if header == nil { header = export }
                for var hand in exportHands {
                    hand["HandNum"] = Self.marker("hand")
                    hand["StartDateTimeUTC"] = Self.marker("start")
                    if var seats = hand["Players"] as? [[String: Any]] {
                        for index in seats.indices {
                            seats[index]["Name"] = Self.marker("name\(index)")
                            seats[index]["LongName"] = Self.marker("long\(index)")
                        }
                        hand["Players"] = seats
                    }
                    var text = String(decoding: try JSONSerialization.data(withJSONObject: hand, options: [.sortedKeys]), as: UTF8.self)
                    // HandNum is a number: drop the quotes around its marker.
                    text = text.replacingOccurrences(of: "\"\(Self.marker("hand"))\"", with: Self.marker("hand"))
                    hands.append(try Template(text) { name in
                        switch name {
                        case "hand": .handNum
                        case "start": .start
                        case _ where name.hasPrefix("name"): Int(name.dropFirst(4)).map { .name($0) }
                        case _ where name.hasPrefix("long"): Int(name.dropFirst(4)).map { .longName($0) }
                        default: nil
                        }
                    })
                }
            }
        }
        guard let header, !hands.isEmpty else {
            throw BenchError("no PokerGFX samples under \(sampleDirectories.joined(separator: ", ")): run from the repository root or pass --samples")
        }
        return (header, hands)
    }

    /// Writes the corpus under `root` (created; files `Table N/YYYY-MM-DD/PGFX_live_data_export GameID=…json`).
    func write(to root: URL) throws -> Summary {
        let (header, hands) = try templates()
        var random = SplitMix64(seed: seed)
        let names = Self.playerNames(players, random: &random)
        var headerObject = header
        headerObject["ID"] = Self.marker("id")
        headerObject["CreatedDateTimeUTC"] = Self.marker("created")
        headerObject["Hands"] = [Self.marker("hands")]
        var headerText = String(decoding: try JSONSerialization.data(withJSONObject: headerObject, options: [.sortedKeys]), as: UTF8.self)
        for name in ["id", "hands"] {
            headerText = headerText.replacingOccurrences(of: "\"\(Self.marker(name))\"", with: Self.marker(name))
        }
        let headerParts = try Template(headerText) { name in
            switch name { case "id": .id; case "created": .created; case "hands": .hands; default: nil }
        }

        var summary = Summary(files: files, hands: 0, bytes: 0, minHands: minHands, maxHands: maxHands, players: players, seed: seed,
                              templates: hands.count)
        // 2026-01-05 10:00 UTC; each session starts six hours after the previous one.
        let season = Date(timeIntervalSince1970: 1_767_607_200)
        for i in 0..<files {
            let id = 700_000_000_000_000_000 + Int64(i)
            let sessionStart = season.addingTimeInterval(Double(i) * 21_600)
            let handCount = minHands + Int(random.next() % UInt64(maxHands - minHands + 1))
            // The session's ten seats: players from the pool (a table keeps its players for the session).
            let roster = (0..<10).map { _ in names[Int(random.next() % UInt64(names.count))] }
            var body = ""
            body.reserveCapacity(handCount * 4_800)
            var clock = sessionStart.addingTimeInterval(120)
            for k in 0..<handCount {
                if k > 0 { body += "," }
                let template = hands[Int(random.next() % UInt64(hands.count))]
                clock = clock.addingTimeInterval(90 + Double(random.next() % 150) + Double(random.next() % 10_000_000) / 1e7)
                for (index, piece) in template.pieces.enumerated() {
                    body += piece
                    guard index < template.holes.count else { continue }
                    switch template.holes[index] {
                    case .handNum: body += String(k + 1)
                    case .start: body += Self.timestamp(clock, ticks: random.next() % 10_000_000)
                    case .name(let seat): body += roster[seat % roster.count].name
                    case .longName(let seat): body += roster[seat % roster.count].long
                    default: break
                    }
                }
            }
            var text = ""
            text.reserveCapacity(body.utf8.count + 512)
            for (index, piece) in headerParts.pieces.enumerated() {
                text += piece
                guard index < headerParts.holes.count else { continue }
                switch headerParts.holes[index] {
                case .id: text += String(id)
                case .created: text += Self.timestamp(sessionStart, ticks: UInt64(i % 10_000_000))
                case .hands: text += body
                default: break
                }
            }
            let day = Self.timestamp(sessionStart, ticks: 0).prefix(10)
            let folder = root.appendingPathComponent("Table \(i % 8)/\(day)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let data = Data(text.utf8)
            try data.write(to: folder.appendingPathComponent("PGFX_live_data_export GameID=\(id).json"))
            summary.hands += handCount
            summary.bytes += Int64(data.count)
        }
        return summary
    }

    /// `2026-01-05T10:02:00.1234567Z`: seconds of `date`, seven digits of fraction.
    static func timestamp(_ date: Date, ticks: UInt64) -> String {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        let (days, second) = (total / 86_400, total % 86_400)
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = z / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%07dZ", year, month, day, second / 3_600, second / 60 % 60, second % 60, Int(ticks))
    }

    /// `count` distinct names as an operator types them (`Name`: short, `LongName`: full).
    static func playerNames(_ count: Int, random: inout SplitMix64) -> [(name: String, long: String)] {
        let first = ["Anna", "Ben", "Chen", "Daniel", "Elena", "Felix", "Grace", "Hiro", "Ines", "Jae", "Kofi", "Lena", "Mateo", "Nina",
                     "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wei", "Ximena", "Yuki", "Zoe"]
        let last = ["Almeida", "Brunson", "Cho", "Duhamel", "Esfandiari", "Fischer", "Gruissem", "Hellmuth", "Ivey", "Juanda", "Kim",
                    "Laak", "Mizrachi", "Negreanu", "Ott", "Park", "Quintero", "Rast", "Seidel", "Tran", "Ulliott", "Volpe", "Wong",
                    "Xu", "Yang", "Zhou"]
        return (0..<max(1, count)).map { index in
            let f = first[index % first.count], l = last[(index / first.count) % last.count]
            let suffix = index >= first.count * last.count ? " \(index / (first.count * last.count) + 1)" : ""
            return ("\(f.prefix(1)). \(l)\(suffix)".uppercased(), "\(f) \(l)\(suffix)")
        }
    }
}

/// A small deterministic generator (the corpus is the same for the same seed).
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
