import ArgumentParser

/// Where a command is spelled. A command that moved under a noun is generic over its spelling:
/// `Command<Listed>` is the one `--help` and the shell completions list (`hubctl jobs retry`),
/// `Command<OldSpelling>` the old top-level spelling scripts still use (`hubctl retry`) — hidden,
/// but otherwise the very same command: the same options, validation, help text and `run()`.
package protocol CommandSpelling {
    /// Whether help and completions list the command.
    static var isListed: Bool { get }
}

/// The spelling under the command's noun.
package enum Listed: CommandSpelling {
    package static var isListed: Bool { true }
}

/// An old top-level spelling, kept for scripts and not listed.
package enum OldSpelling: CommandSpelling {
    package static var isListed: Bool { false }
}

extension CommandConfiguration {
    /// This configuration as `spelling` spells it: the old spelling is hidden, and named `oldName`
    /// when the command's old name differs from its new one (`events list` for `monitor events`).
    package func spelled<Spelling: CommandSpelling>(_ spelling: Spelling.Type, oldName: String? = nil) -> CommandConfiguration {
        guard !Spelling.isListed else { return self }
        var configuration = self
        configuration.shouldDisplay = false
        if let oldName { configuration.commandName = oldName }
        return configuration
    }
}
