import Foundation
import HubCore
import HubTestSupport
import Testing

/// The preview backend draws graphics documents by category (a table of slots, a chip flow chart,
/// an elimination card, a payout table), and the contact sheet puts many PNGs on one grid.
@Suite struct PreviewGraphicsTests {
    static let metadata = GFXDataDocument.Metadata(sessionID: 638_677_842_396_130_000, handNum: 42, blindLevel: "300K/600K (600K)",
                                                   dataSources: ["gfx_hand_players"], generatedAt: "2026-01-16T10:35:00Z")

    static func chipCount() -> GFXDataDocument {
        let names = ["PHIL IVEY", "김민수", "DANIEL NEGREANU", "이서연", "50% off: 'quotes' \\ and ;[x],y", "JOHN DOE", "MAX MUSTER",
                     "ANA GARCÍA", "LEE"]
        let slots = names.enumerated().map { index, name in
            GFXDataDocument.Slot(slotIndex: index + 1, fields: [
                "rank": String(index + 1), "name": name, "flag": index == 1 ? "Flag/South Korea.png" : "Flag/Unknown.png",
                "chips": ["1,620,000", "1,500,000", "1,210,000", "980,000", "875,500", "640,000", "455,000", "300,000", "120,000"][index],
                "bbs": ["81.0", "75.0", "60.5", "49.0", "43.8", "32.0", "22.8", "15.0", "6.0"][index],
            ])
        }
        return GFXDataDocument(compName: "_MAIN Mini Chip Count", renderType: "chip_count", category: "chip_display", slots: slots,
                               singleFields: ["event_name": "MAIN EVENT FINAL DAY"], metadata: metadata)
    }

    static func chipFlow(withChart: Bool = true) -> GFXDataDocument {
        let stacks: [Int64] = (0..<30).map { 1_200_000 + Int64((Double($0) * 0.7).rounded(.down)) * 15_000 + ($0 % 4 == 0 ? -90_000 : 40_000) }
        let flow = GFXDataDocument.ChipFlow(playerName: "PHIL IVEY", chips10h: Array(stacks.suffix(10)), chips20h: Array(stacks.suffix(20)),
                                            chips30h: stacks, hands30h: Array(13...42), maxLabel: "1,620,000", minLabel: "1,110,000")
        let history = GFXDataDocument.PlayerHistory(currentChips: stacks.last!, chips10HandsAgo: stacks[19], chips20HandsAgo: stacks[9],
                                                    chips30HandsAgo: nil, chipChange10h: "+120,000", chipChange20h: "-35,000", chipChange30h: "")
        return GFXDataDocument(compName: "Chip Flow", renderType: "chip_flow", category: "chip_display",
                               singleFields: ["player_name": "PHIL IVEY"], chipFlow: withChart ? flow : nil, playerHistory: history,
                               metadata: metadata)
    }

    static func elimination() -> GFXDataDocument {
        GFXDataDocument(compName: "Elimination", renderType: "elimination", category: "elimination",
                        elimination: .init(playerName: "DANIEL NEGREANU", rank: 9, prize: "$82,000", flag: "Flag/Canada.png"),
                        metadata: metadata)
    }

    static func payouts() -> GFXDataDocument {
        let prizes = ["$1,000,000", "$670,000", "$475,000", "$345,000", "$250,000", "$185,000", "$140,000", "$107,500", "$82,000"]
        let entries = prizes.enumerated().map { GFXDataDocument.Payouts.Entry(slotIndex: $0 + 1, rank: String($0 + 1), prize: $1) }
        return GFXDataDocument(compName: "Payouts", renderType: "payout", category: "payout",
                               slots: entries.map { .init(slotIndex: $0.slotIndex, fields: ["rank": $0.rank, "prize": $0.prize]) },
                               singleFields: ["event_name": "MAIN EVENT - FINAL TABLE"],
                               payouts: .init(eventName: "MAIN EVENT - FINAL TABLE", startRank: 1, source: "wsop_payouts", entries: entries),
                               metadata: metadata)
    }

    /// One document of every other category, and one with nothing in it.
    static func others() -> [GFXDataDocument] {
        [
            GFXDataDocument(compName: "Chip Comparison", renderType: "chip_comparison", category: "chip_display",
                            chipComparison: .init(selectedPlayerName: "PHIL IVEY", selectedPlayerChips: "1,500,000", selectedPlayerPercent: "35.4%",
                                                  othersChips: "2,735,000", othersPercent: "64.6%"), metadata: metadata),
            GFXDataDocument(compName: "At Risk of Elimination", renderType: "at_risk", category: "elimination",
                            atRisk: .init(playerName: "JOHN DOE", rank: 9, prize: "$0", flag: "Flag/Unknown.png"), metadata: metadata),
            GFXDataDocument(compName: "Broadcast Schedule", renderType: "schedule", category: "schedule",
                            slots: [.init(slotIndex: 1, fields: ["date": "Jan 14", "time": "05:30 PM", "event_name": "Main Event Day 1"]),
                                    .init(slotIndex: 2, fields: ["date": "", "time": "", "event_name": ""])], metadata: metadata),
            GFXDataDocument(compName: "NAME 3줄+", renderType: "player_info", category: "player_info",
                            singleFields: ["name": "김민수", "country": "South Korea", "flag": "Flag/South Korea.png", "vpip": "45.0%",
                                           "chips": "1,500,000", "note": "50% off: 'quotes' \\ and ;"], metadata: metadata),
            GFXDataDocument(compName: "Block Transition Level-Blinds", renderType: "transition", category: "transition",
                            metadata: .init(generatedAt: "")),
            // Edges: one stack, a flat flow, 30 slots of long names, empty slots only, odd percentages.
            GFXDataDocument(compName: "Chip Flow", renderType: "chip_flow", category: "chip_display",
                            chipFlow: .init(playerName: "", chips10h: [500], chips20h: [], chips30h: [], hands30h: [], maxLabel: "", minLabel: ""),
                            metadata: metadata),
            GFXDataDocument(compName: "Chip Flow", renderType: "chip_flow", category: "chip_display",
                            chipFlow: .init(playerName: "FLAT", chips10h: [], chips20h: [], chips30h: Array(repeating: 0, count: 30), hands30h: [],
                                            maxLabel: "0", minLabel: "0"), metadata: metadata),
            GFXDataDocument(compName: String(repeating: "Very long composition name ", count: 8), renderType: "chip_count", category: "chip_display",
                            slots: (1...30).map { .init(slotIndex: $0, fields: ["rank": String($0), "name": String(repeating: "김민수 PHIL ", count: 12),
                                                                              "chips": "1,000,000,000", "extra\n\tkey": "line\nbreak"]) },
                            metadata: .init(blindLevel: String(repeating: "1M/2M ", count: 30), generatedAt: "now", warnings: ["rows cut", "again"])),
            GFXDataDocument(compName: "_Mini Payout", renderType: "payout", category: "payout",
                            slots: (1...9).map { .init(slotIndex: $0, fields: ["rank": String($0), "prize": "$0"]) }, metadata: metadata),
            GFXDataDocument(compName: "Chip Comparison", renderType: "chip_comparison", category: "chip_display",
                            chipComparison: .init(selectedPlayerName: "", selectedPlayerChips: "", selectedPlayerPercent: "n/a",
                                                  othersChips: "-5", othersPercent: "250%"), metadata: metadata),
        ]
    }

    func render(_ document: GFXDataDocument, width: Int = 1920, height: Int = 1080, format: OutputSettings.Format = .png,
                frames: ClosedRange<Int>? = nil) async throws -> String {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("hub-preview-graphics-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        var settings: [String: JSONValue] = ["format": .string(format.rawValue), "width": .integer(Int64(width)),
                                             "height": .integer(Int64(height)), "fps": .integer(25)]
        if let frames { settings["frameStart"] = .integer(Int64(frames.lowerBound)); settings["frameEnd"] = .integer(Int64(frames.upperBound)) }
        let json: [String: JSONValue] = [
            "id": .integer(11), "templateName": .string("graphics"), "composition": .string(document.compName),
            "layerData": .object(document.jsonObject), "outputSettings": .object(settings),
            "status": .string("processing"), "priority": .integer(5), "trigger": .string("manual"), "retryCount": .integer(0),
            "maxRetries": .integer(3), "attempt": .integer(1), "dataHash": .string(String(repeating: "b", count: 64)),
            "createdAt": .number(0), "scheduledAt": .number(0), "cancelRequested": .bool(false), "requiredTags": .array([]),
        ]
        let instruction = try JSONDecoder().decode(RenderInstruction.self, from: Data(JSONValue.object(json).canonicalText.utf8))
        #expect(GFXDataDocument(layerData: instruction.layerData) != nil, "the instruction is a graphics instruction")
        let job = RenderJob(instruction: instruction, outputPath: work.appendingPathComponent("out.\(format.rawValue)").path, workDirectory: work)
        let output = try await PreviewBackend().render(job) { _ in }
        return output.path
    }

    static let categories: [String: GFXDataDocument] = [
        "chip display, 9 slots": chipCount(), "chip flow": chipFlow(), "elimination": elimination(), "payouts": payouts(),
    ]

    @Test(arguments: ["chip display, 9 slots", "chip flow", "elimination", "payouts"])
    func categoryRendersToAPNGOfTheRequestedSize(_ name: String) async throws {
        let path = try await render(try #require(Self.categories[name]))
        #expect(try pngSize(path) == (1920, 1080), "\(name)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count > 10_000, "\(name): more than an empty frame")
    }

    @Test func anyDocumentRendersAtAnySize() async throws {
        for document in Self.others() {
            let path = try await render(document, width: 1280, height: 720)
            #expect(try pngSize(path) == (1280, 720), "\(document.compName)")
        }
        let small = try await render(Self.chipCount(), width: 320, height: 180)
        #expect(try pngSize(small) == (320, 180))
    }

    @Test func chipFlowChartIsDrawn() async throws {
        let with = try await rgbPixels(try await render(Self.chipFlow(withChart: true), width: 960, height: 540))
        let without = try await rgbPixels(try await render(Self.chipFlow(withChart: false), width: 960, height: 540))
        #expect(with.count == 960 * 540 * 3 && without.count == with.count)
        var differing = 0
        for index in stride(from: 0, to: with.count, by: 3) where with[index..<index + 3] != without[index..<index + 3] { differing += 1 }
        #expect(differing > 960 * 540 / 20, "the chart changes at least 5 % of the frame (\(differing) pixels differ)")
        // The accent colour of the line (0x58a6ff) is on the frame with the chart only.
        func accent(_ pixels: [UInt8]) -> Int {
            var count = 0
            for index in stride(from: 0, to: pixels.count, by: 3) {
                let red = Int(pixels[index]), green = Int(pixels[index + 1]), blue = Int(pixels[index + 2])
                if abs(red - 0x58) < 12, abs(green - 0xa6) < 12, abs(blue - 0xff) < 12 { count += 1 }
            }
            return count
        }
        #expect(accent(with) > accent(without) + 1000)
    }

    @Test func graphicsClipHasTheFrameRange() async throws {
        let path = try await render(Self.chipFlow(), width: 640, height: 360, format: .mp4, frames: 0...9)
        let probe = try await ProcessRunner.run("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-show_entries",
                                                                     "stream=codec_name,width,height,nb_read_frames", "-of", "default=noprint_wrappers=1", path])
        #expect(probe.stdout.contains("codec_name=h264") && probe.stdout.contains("width=640") && probe.stdout.contains("nb_read_frames=10"))
    }

    @Test func contactSheetOfThreeIsOneRow() async throws {
        let images = try await sampleImages(3)
        let sheet = try ContactSheet()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("hub-sheet-3-\(UUID()).png").path
        let layout = try await sheet.write(images, to: output)
        #expect(layout.columns == 3 && layout.rows == 1)
        #expect(layout.width == 3 * 384 + 4 * 16 && layout.height == 216 + 30 + 2 * 16)
        #expect(try pngSize(output) == (layout.width, layout.height))
    }

    @Test func contactSheetOfTwentySixIsFiveColumnsBySixRows() async throws {
        let samples = try await sampleImages(3)
        let images = (0..<26).map { (label: "\($0 + 1). \(samples[$0 % 3].label) — 김민수 'x',[y];z", path: samples[$0 % 3].path) }
        let sheet = try ContactSheet()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("hub-sheet-26-\(UUID()).png").path
        let layout = try await sheet.write(images, to: output)
        #expect(layout.columns == 5 && layout.rows == 6)
        #expect(try pngSize(output) == (5 * 384 + 6 * 16, 6 * (216 + 30) + 7 * 16))
        let single = sheet.layout(count: 1)
        #expect(single.columns == 1 && single.rows == 1 && single.width == 384 + 32 && single.height == 246 + 32)
        #expect(sheet.layout(count: 30).rows == 6)
    }

    @Test func contactSheetRefusesNoImagesAndMissingFiles() async throws {
        let sheet = try ContactSheet()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("hub-sheet-0-\(UUID()).png").path
        let empty = await #expect(throws: HubError.self) { try await sheet.write([], to: output) }
        #expect(empty?.code == .usage && empty?.message.contains("at least one image") == true)
        #expect(!FileManager.default.fileExists(atPath: output))
        let missing = await #expect(throws: HubError.self) { try await sheet.write([("Payouts", "/nonexistent/payouts.png")], to: output) }
        #expect(missing?.code == .notFound && missing?.message.contains("Payouts") == true)
    }

    // MARK: - Helpers

    /// `count` rendered graphics (the categories above, in turn) with their composition as label.
    func sampleImages(_ count: Int) async throws -> [(label: String, path: String)] {
        let documents = [Self.chipCount(), Self.elimination(), Self.payouts()]
        var images: [(label: String, path: String)] = []
        for index in 0..<count {
            let document = documents[index % documents.count]
            images.append((document.compName, try await render(document, width: 640, height: 360)))
        }
        return images
    }

    /// Width and height from a PNG's IHDR chunk.
    func pngSize(_ path: String) throws -> (Int, Int) {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)).prefix(24))
        try #require(data.count == 24 && data[0..<8] == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "\(path) is not a PNG")
        try #require(String(decoding: data[12..<16], as: UTF8.self) == "IHDR")
        func integer(_ range: Range<Int>) -> Int { data[range].reduce(0) { $0 << 8 | Int($1) } }
        return (integer(16..<20), integer(20..<24))
    }

    /// The pixels of a PNG as RGB bytes, decoded by ffmpeg.
    func rgbPixels(_ path: String) async throws -> [UInt8] {
        let raw = path + ".rgb"
        let result = try await ProcessRunner.run("/usr/bin/ffmpeg", ["-v", "error", "-y", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", raw])
        try #require(result.status == 0, "ffmpeg: \(result.stderr)")
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
    }
}
