import ArgumentParser
import Foundation
import HubCore
import HubPostgres
import HubRedis

/// Parses and runs a command, turning every error into one line on stderr and the exit status of
/// SPEC §8.2: 0 success, 1 failure, 2 usage error, 3 not found.
package enum CommandRunner {
    package static func run<Root: ParsableCommand>(_ root: Root.Type, program: String) async {
        var command: any ParsableCommand
        do {
            command = try Root.parseAsRoot()
        } catch {
            let code = Root.exitCode(for: error)
            if code == .success {
                Root.exit(withError: error) // --help, --version
            }
            FileHandle.standardError.write(Data((Root.fullMessage(for: error) + "\n").utf8))
            exit(HubExitCode.usage)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(HubExitCode.success)
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch let error where error is HubError || error is PostgresError || error is RedisError {
            FileHandle.standardError.write(Data("\(program): error: \(describe(error))\n".utf8))
            exit(exitStatus(for: error))
        } catch {
            // Errors of the argument parser itself: help requests, validation failures.
            switch Root.exitCode(for: error) {
            case .success:
                Root.exit(withError: error)
            case .validationFailure:
                FileHandle.standardError.write(Data((Root.fullMessage(for: error) + "\n").utf8))
                exit(HubExitCode.usage)
            default:
                FileHandle.standardError.write(Data("\(program): error: \(describe(error))\n".utf8))
                exit(HubExitCode.failure)
            }
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let e as HubError: return e.description
        case let e as PostgresError: return e.description
        case let e as RedisError: return e.description
        default: return String(describing: error)
        }
    }

    static func exitStatus(for error: any Error) -> Int32 {
        HubExitCode.forError(error)
    }
}
