import Foundation
import HubCore
import Testing

/// How the broadcast writes numbers, money, blinds, dates and times (GRAPHICS.md §2; reference
/// 08 §5 and §13.3). Every expected string is computed by hand.
@Suite struct GraphicsFormatTests {
    @Test(arguments: [
        (Int64(0), "0"), (999, "999"), (1_000, "1,000"), (15_000, "15,000"), (1_500_000, "1,500,000"), (2_225_000, "2,225,000"),
        (455_523_388, "455,523,388"), (-2_500, "-2,500"), (-35_000, "-35,000"),
        (Int64.max, "9,223,372,036,854,775,807"), (Int64.min, "-9,223,372,036,854,775,808"),
    ])
    func chipsAreGroupedWithCommas(_ value: Int64, _ expected: String) {
        #expect(GraphicsFormat.chips(value) == expected)
    }

    /// One decimal always, half up (`75.0`, never the upstream's "75."); nil without a big blind.
    @Test(arguments: [
        (Int64(1_500_000), Int64(20_000), "75.0"),
        (2_225_000, 20_000, "111.3"),           // 111.25
        (1_625_000, 20_000, "81.3"),            // 81.25
        (1_620_000, 20_000, "81.0"),
        (2_282_000, 20_000, "114.1"),
        (8_920, 800, "11.2"),                   // 11.15
        (9_080, 800, "11.4"),                   // 11.35
        (2_170_000, 40_000, "54.3"),            // 54.25
        (2_125_000, 40_000, "53.1"),            // 53.125
        (8_005_000, 180_000, "44.5"),           // 44.472…
        (7_995_000, 180_000, "44.4"),           // 44.416…
        (2_000_000, 180_000, "11.1"),           // 11.111…
        (455_523_388, 800, "569,404.2"),        // 569,404.235
        (0, 800, "0.0"),
        (1, 3, "0.3"), (2, 3, "0.7"),
        (-35_000, 20_000, "-1.8"),              // -1.75, half away from zero
        (Int64.max, 1, "9,223,372,036,854,775,807.0"),
        (Int64.min, 1, "-9,223,372,036,854,775,808.0"),
        (Int64.max, 2, "4,611,686,018,427,387,903.5"),
        (Int64.max, 3, "3,074,457,345,618,258,602.3"),
        (Int64.max, 10, "922,337,203,685,477,580.7"),
        (Int64.min, Int64.max, "-1.0"),
        (Int64.max, Int64.max, "1.0"),
        (1, Int64.max, "0.0"),
    ])
    func bigBlindsHaveOneDecimalRoundedHalfUp(_ stack: Int64, _ bigBlind: Int64, _ expected: String) {
        #expect(GraphicsFormat.bigBlinds(stack, bigBlind: bigBlind) == expected)
    }

    @Test(arguments: [Int64(0), -20_000, Int64.min])
    func bigBlindsAreNilWithoutABigBlind(_ bigBlind: Int64) {
        #expect(GraphicsFormat.bigBlinds(1_500_000, bigBlind: bigBlind) == nil)
        #expect(GraphicsFormat.bigBlinds(Int64.max, bigBlind: bigBlind) == nil)
    }

    @Test(arguments: [
        (Int64(120_000), "+120,000"), (250_000, "+250,000"), (-35_000, "-35,000"), (0, "0"), (1, "+1"),
        (Int64.max, "+9,223,372,036,854,775,807"), (Int64.min, "-9,223,372,036,854,775,808"),
    ])
    func changesAreSigned(_ delta: Int64, _ expected: String) {
        #expect(GraphicsFormat.change(delta) == expected)
    }

    @Test(arguments: [
        (45.0, "45.0%"), (45.5, "45.5%"), (35.44, "35.4%"), (12.25, "12.3%"), (18.75, "18.8%"), (0.0, "0.0%"), (100.0, "100.0%"),
        (0.04, "0.0%"), (99.96, "100.0%"),
    ])
    func percentHasOneDecimal(_ value: Double, _ expected: String) {
        #expect(GraphicsFormat.percent(value) == expected)
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity, .greatestFiniteMagnitude, 1e300])
    func percentOfNothingSensibleIsEmpty(_ value: Double) {
        #expect(GraphicsFormat.percent(value) == "")
    }

    @Test(arguments: [
        (Int64(354), "35.4%"), (646, "64.6%"), (1_000, "100.0%"), (0, "0.0%"), (5, "0.5%"), (-12, "-1.2%"),
        (Int64.max, "922337203685477580.7%"), (Int64.min, "-922337203685477580.8%"),
    ])
    func percentFromTenths(_ tenths: Int64, _ expected: String) {
        #expect(GraphicsFormat.percent(tenths: tenths) == expected)
    }

    /// Amounts in cents; whole dollars without cents, cents only when there are some.
    @Test(arguments: [
        (Int64(100_000_000), "$1,000,000"), (10_750_050, "$107,500.50"), (10_750_005, "$107,500.05"), (8_200_000, "$82,000"),
        (450_000, "$4,500"), (0, "$0"), (1, "$0.01"), (99, "$0.99"), (-150, "-$1.50"),
        (Int64.max, "$92,233,720,368,547,758.07"), (Int64.min, "-$92,233,720,368,547,758.08"),
    ])
    func moneyIsWrittenInDollarsFromCents(_ cents: Int64, _ expected: String) {
        #expect(GraphicsFormat.money(cents: cents) == expected)
    }

    @Test func moneyUnitsAreExplicitPerSource() {
        #expect(MoneyUnit.dollars.cents(107_500) == 10_750_000)
        #expect(MoneyUnit.cents.cents(10_750_050) == 10_750_050)
        #expect(MoneyUnit.dollars.cents(Int64.max) == nil, "does not fit in cents")
        #expect(MoneyUnit.dollars.cents(Int64.max / 100) == 9_223_372_036_854_775_800)
        #expect(GraphicsFormat.money(cents: MoneyUnit.dollars.cents(1_000_000)!) == "$1,000,000")
    }

    @Test(arguments: [
        (Int64(80), "80"), (800, "800"), (1_000, "1K"), (1_500, "1.5K"), (1_050, "1.05K"), (2_500, "2.5K"), (5_000, "5K"),
        (10_000, "10K"), (15_000, "15K"), (180_000, "180K"), (300_000, "300K"), (600_000, "600K"), (1_250_000, "1.25M"),
        (2_000_000, "2M"), (2_000_000_000, "2B"), (0, "0"), (-5_000, "-5K"),
        (Int64.max, "9223372036.85B"), (Int64.min, "-9223372036.85B"),
    ])
    func shortBlinds(_ value: Int64, _ expected: String) {
        #expect(GraphicsFormat.short(value) == expected)
    }

    /// The hand's real blinds, never SB = BB/2; the ante in brackets.
    @Test(arguments: [
        (Int64(10_000), Int64(15_000), Int64(0), Int64(0), "10K/15K"),
        (300_000, 600_000, 0, 600_000, "300K/600K (600K)"),
        (20_000, 40_000, 0, 40_000, "20K/40K (40K)"),
        (5_000, 180_000, 0, 0, "5K/180K"),
        (80, 800, 0, 0, "80/800"),
        (1_000, 2_000, 4_000, 0, "1K/2K/4K"),
        (1_000, 2_000, 4_000, 2_000, "1K/2K/4K (2K)"),
        (0, 2_000, 0, 0, "0/2K"),
    ])
    func blindsText(_ small: Int64, _ big: Int64, _ third: Int64, _ ante: Int64, _ expected: String) {
        #expect(GraphicsFormat.blinds(small: small, big: big, third: third, ante: ante) == expected)
    }

    @Test func blindsWithoutAnyBlindAreNil() {
        #expect(GraphicsFormat.blinds(small: 0, big: 0, ante: 40_000) == nil)
        #expect(GraphicsFormat.blinds(small: Int64.min, big: Int64.min, ante: Int64.min) == nil)
        #expect(GraphicsFormat.blinds(small: Int64.max, big: Int64.max, ante: Int64.max) == "9223372036.85B/9223372036.85B (9223372036.85B)")
    }

    /// `TO_CHAR(d, 'Mon DD')` of the reference: the day has two digits.
    @Test(arguments: [
        ("2026-01-14", "Jan 14"), ("2026-12-08", "Dec 08"), ("2026-02-01", "Feb 01"), ("2026-07-31", "Jul 31"),
        ("2026-01-14T10:30:00Z", "Jan 14"),
    ])
    func dates(_ iso: String, _ expected: String) {
        #expect(GraphicsFormat.date(iso) == expected)
    }

    @Test(arguments: ["", "2026-13-01", "2026-00-10", "2026-01-32", "14/01/2026", "yesterday"])
    func malformedDatesAreNil(_ text: String) {
        #expect(GraphicsFormat.date(text) == nil)
    }

    @Test(arguments: [
        ("17:30:00", "05:30 PM"), ("17:30", "05:30 PM"), ("00:00:00", "12:00 AM"), ("12:00:00", "12:00 PM"), ("00:30", "12:30 AM"),
        ("12:59", "12:59 PM"), ("09:05", "09:05 AM"), ("23:59:59", "11:59 PM"), ("11:59", "11:59 AM"), ("13:00", "01:00 PM"),
    ])
    func times(_ clock: String, _ expected: String) {
        #expect(GraphicsFormat.time(clock) == expected)
    }

    @Test(arguments: ["", "24:00", "12:60", "noon", "17", "-1:30"])
    func malformedTimesAreNil(_ text: String) {
        #expect(GraphicsFormat.time(text) == nil)
    }
}
