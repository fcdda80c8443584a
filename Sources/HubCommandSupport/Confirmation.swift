import ArgumentParser
import Foundation

/// Asking before a destructive command: on a terminal the operator is asked; otherwise (a script,
/// a pipe, cron) the command refuses unless `--yes` was given.
package enum Confirmation {
    /// Whether standard input is a terminal.
    package static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 }

    /// Returns when the action may go ahead; throws when it may not.
    /// - Parameters:
    ///   - question: what is asked on a terminal (a `[y/N]` is appended).
    ///   - refusal: why `--yes` is needed, for the usage error when standard input is not a terminal.
    ///   - yes: whether `--yes` was given.
    /// - Throws: ``ValidationError`` (exit 2) without `--yes` off a terminal; ``ExitCode`` 1 when the
    ///   operator answers anything but yes.
    package static func require(_ question: String, refusal: String, yes: Bool) throws {
        if yes { return }
        guard isInteractive else {
            throw ValidationError("\(refusal): pass --yes to confirm (standard input is not a terminal, so there is no one to ask)")
        }
        FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
        let answer = (readLine() ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        guard answer == "y" || answer == "yes" else {
            FileHandle.standardError.write(Data("not confirmed: nothing was changed\n".utf8))
            throw ExitCode.failure
        }
    }
}
