import Foundation
import HubCore
import PremiumHandsKit

// premium-hands [--timeout SECONDS]
// Reads HUB_DATABASE_URL and HUB_REDIS_URL (environment or .env), lists the latest premium hands,
// renders the newest one and follows it to completion. Exit status 0 when the render completed.

func fail(_ message: String, status: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("premium-hands: \(message)\n".utf8))
    exit(status)
}

var timeout = 120.0
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--timeout":
        guard let text = arguments.popFirst(), let seconds = Double(text), seconds > 0 else {
            fail("--timeout needs a number of seconds above 0", status: 2)
        }
        timeout = seconds
    case "-h", "--help":
        print("usage: premium-hands [--timeout SECONDS]   (HUB_DATABASE_URL and HUB_REDIS_URL from the environment or .env)")
        exit(0)
    default:
        fail("unknown argument '\(argument)' (try --help)", status: 2)
    }
}

let hub: Hub
do {
    hub = try Hub(configuration: HubConfiguration(), name: "premium-hands")
    try await hub.verifySchema()
} catch {
    fail("\(error)")
}
let renderer = PremiumHandRenderer(hub: hub)

do {
    let hands = try await renderer.latest(limit: 5)
    guard let newest = hands.first else {
        fail("no premium hands yet: import PokerGFX exports first (hub-sync gfx <folder>)")
    }
    print("Latest premium hands:")
    for hand in hands {
        print("  hand \(hand.id)  table \(hand.tableID) #\(hand.handNumber)  \(hand.grade?.name ?? "-")  won by \(hand.winner ?? "-")  pot \(hand.pot)")
    }
    print("Rendering hand \(newest.id) …")
    let outcome = try await withThrowingTaskGroup(of: PremiumHandRenderer.Outcome?.self) { group in
        group.addTask {
            try await renderer.render(newest) { event in
                var status = "-"
                if case .string(let text)? = event.data["status"] { status = text }
                print("  event \(event.type): \(status)")
            }
        }
        group.addTask {
            try await Task.sleep(for: .seconds(timeout))
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        return first
    }
    await hub.shutdown()
    guard let outcome else {
        fail("the render did not finish within \(Int(timeout)) s: is a hub-worker running against this hub?")
    }
    let instruction = outcome.instruction
    guard instruction.status == .completed, let output = outcome.output else {
        fail("render instruction \(instruction.id) ended \(instruction.status.rawValue): \(instruction.errorMessage ?? "no reason given")")
    }
    print("Instruction \(instruction.id) completed: \(output.outputPath ?? "-")\(output.cacheHit ? " (from the render cache)" : "")")
} catch {
    await hub.shutdown()
    fail("\(error)")
}
