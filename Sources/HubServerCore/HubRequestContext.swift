import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of every hub-server route: HTTP and WebSocket upgrades share one router,
/// so the authentication middleware sees both.
package struct HubRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Where the handler of a WebSocket upgrade is left for the upgrade channel.
    package let webSocket: WebSocketHandlerReference<Self>
    /// The peer's address (throttling is per address).
    package let remoteAddress: SocketAddress?
    /// Who made the request, set by ``AuthMiddleware``: `user:<name>`, `api-key:<n>` or
    /// `session:<name>`; recorded as the actor of what the request changes.
    package var principal: String?

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Dates as ISO 8601 with fractions, sorted keys: the same JSON every time.
    package var responseEncoder: JSONEncoder { APIJSON.encoder }
    package var requestDecoder: JSONDecoder { APIJSON.decoder }

    /// The peer's IP address as text (`unknown` when the channel has none).
    var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }
}

/// The JSON coders of the HTTP API.
package enum APIJSON {
    /// Sorted keys, ISO 8601 dates with milliseconds, slashes unescaped.
    package static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date))
        }
        return encoder
    }

    /// Accepts every RFC 3339 date-time (the document's `format: date-time`): fractions of any
    /// length, `Z` or an offset up to ±23:59, upper- or lower-case `T`/`Z`. Foundation's
    /// `.iso8601` strategy refused offsets beyond ±18 h and lower-case letters.
    package static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339.date(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription:
                    "'\(text)' is not an RFC 3339 date-time such as 2026-07-10T18:00:00Z")
            }
            return date
        }
        return decoder
    }
}

/// RFC 3339 `date-time`: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
package enum RFC3339 {
    /// The instant `text` names, or nil when it is not an RFC 3339 date-time (or names no real
    /// day, such as February 30). A leap second (`:60`) reads as the next minute's first second.
    package static func date(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= b.count else { return nil }
            var value = 0
            for i in range {
                guard (0x30...0x39).contains(b[i]) else { return nil }
                value = value * 10 + Int(b[i] - 0x30)
            }
            return value
        }
        guard b.count >= 20, let year = number(0..<4), b[4] == 0x2D, let month = number(5..<7), b[7] == 0x2D,
              let day = number(8..<10), b[10] == 0x54 || b[10] == 0x74, let hour = number(11..<13), b[13] == 0x3A,
              let minute = number(14..<16), b[16] == 0x3A, let second = number(17..<19)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if b[index] == 0x2E {
            let start = index + 1
            index = start
            while index < b.count, (0x30...0x39).contains(b[index]) { index += 1 }
            guard index > start, let value = Double("0." + String(decoding: b[start..<index], as: UTF8.self)) else { return nil }
            fraction = value
        }
        guard index < b.count else { return nil }
        var offset = 0
        switch b[index] {
        case 0x5A, 0x7A:
            index += 1
        case 0x2B, 0x2D:
            guard index + 6 == b.count, let hours = number(index + 1..<index + 3), b[index + 3] == 0x3A,
                  let minutes = number(index + 4..<index + 6), hours < 24, minutes < 60
            else { return nil }
            offset = (hours * 3600 + minutes * 60) * (b[index] == 0x2D ? -1 : 1)
            index += 6
        default:
            return nil
        }
        guard index == b.count, (1...12).contains(month), day >= 1, day <= daysInMonth(month, year),
              hour < 24, minute < 60, second <= 60
        else { return nil }
        let seconds = daysSinceEpoch(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    static func daysInMonth(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func daysSinceEpoch(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
