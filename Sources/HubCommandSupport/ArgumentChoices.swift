import ArgumentParser
import HubCore

// The closed sets of values the executables' options take. As `ExpressibleByArgument` enums the
// help and the shell completions list the values, and a value outside the set is a usage error
// (exit 2) that names the valid ones.

extension RenderStatus: ExpressibleByArgument {}
extension OutputSettings.Format: ExpressibleByArgument {}
extension CueType: ExpressibleByArgument {}
extension GraphicsMoment.StaffMember.Role: ExpressibleByArgument {}

extension HubLogging.Format: ExpressibleByArgument {
    /// `JSON` as well as `json`, as `HubLogging.bootstrap()` reads it before parsing.
    package init?(argument: String) {
        self.init(rawValue: argument.lowercased())
    }
}

extension CueRuleEvent: ExpressibleByArgument {
    package init?(argument: String) {
        guard let event = try? CueRuleEvent(parsing: argument) else { return nil }
        self = event
    }

    /// `every:N` stands for every hand whose number is a multiple of N (1…100000).
    package static var allValueStrings: [String] { ["elimination", "premium_hand", "level_change", "chip_leader", "every:N"] }

    package static var defaultCompletionKind: CompletionKind {
        .list(["elimination", "premium_hand", "level_change", "chip_leader", "every:"])
    }
}

/// The renderers `hub-worker --backend` drives (and `HUB_RENDER_BACKEND` names).
package enum RenderBackendName: String, CaseIterable, Sendable, ExpressibleByArgument {
    case preview, nexrender
    case nexrenderServer = "nexrender-server"
    case aerender, command, noop
}
