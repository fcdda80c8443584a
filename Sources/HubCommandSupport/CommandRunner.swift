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
            end(HubExitCode.success)
        } catch let exit as ExitCode {
            end(exit.rawValue)
        } catch let error where error is HubError || error is PostgresError || error is RedisError {
            FileHandle.standardError.write(Data("\(program): error: \(describe(error))\n".utf8))
            end(exitStatus(for: error))
        } catch {
            // Errors of the argument parser itself: help requests, validation failures.
            switch Root.exitCode(for: error) {
            case .success:
                Root.exit(withError: error)
            case .validationFailure:
                FileHandle.standardError.write(Data((Root.fullMessage(for: error) + "\n").utf8))
                end(HubExitCode.usage)
            default:
                FileHandle.standardError.write(Data("\(program): error: \(describe(error))\n".utf8))
                end(HubExitCode.failure)
            }
        }
    }

    /// Ends the process once the command has run: output flushed, then `_exit`.
    ///
    /// `exit` runs the C and C++ static destructors (libstdc++'s, OpenSSL's clean-up) while the
    /// threads of the Swift runtime, Dispatch and the database drivers are still alive: a thread
    /// still freeing a connection's last buffers then races the destructors. Under load that
    /// crashed `hub-sync --watch` on SIGTERM now and then with glibc's "double free or corruption"
    /// (exit status 6 instead of 0; ImportFuzzCommandTests, about one run in four on a loaded
    /// machine). Everything the command owes is done by now (transactions committed, files
    /// written, clients shut down), and stdio buffers are flushed here, so nothing is lost.
    static func end(_ status: Int32) -> Never {
        fflush(nil)
        _exit(status)
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
