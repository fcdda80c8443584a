import Foundation
import HubDriverSupport

/// Runs a child process for a render: streams its output lines, kills it after a silence, and
/// terminates it when the awaiting task is cancelled. Blocking reads and waits happen on threads
/// of their own, never on the cooperative pool.
enum SupervisedProcess {
    struct Result: Sendable {
        var status: Int32
        var timedOut: Bool
        var lastLines: [String]
    }

    static func run(
        executable: String, arguments: [String], inactivityTimeout: Duration,
        onLine: @escaping @Sendable (String) async -> Void
    ) async throws -> Result {
        let process = Process()
        // Foundation starts the child as the leader of a process group of its own, so terminating
        // the group also stops the programs it started (a shell script's children would otherwise
        // keep running and hold the output pipe open).
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        let lastActivity = PThreadLocked(ContinuousClock.now)
        let lastLines = PThreadLocked<[String]>([])
        let timedOut = PThreadLocked(false)
        let (lines, linesContinuation) = AsyncStream.makeStream(of: String.self)
        // The exit status and the task waiting for it, under one lock so neither can miss the other.
        let exit = PThreadLocked<(status: Int32?, waiter: CheckedContinuation<Int32, Never>?)>((nil, nil))
        process.terminationHandler = { process in
            let status = process.terminationStatus
            let waiter = exit.withLock { state -> CheckedContinuation<Int32, Never>? in
                state.status = status
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: status)
        }
        do {
            try process.run()
        } catch {
            throw HubError(.unavailable, "cannot start \(executable): \(error.localizedDescription)")
        }
        // Read output on a thread of its own.
        Thread.detachNewThread {
            let handle = pipe.fileHandleForReading
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lastActivity.withLock { $0 = .now }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    lastLines.withLock { $0.append(line); if $0.count > 20 { $0.removeFirst() } }
                    linesContinuation.yield(line)
                }
            }
            if !buffer.isEmpty { linesContinuation.yield(String(decoding: buffer, as: UTF8.self)) }
            linesContinuation.finish()
        }
        let lineTask = Task { for await line in lines { await onLine(line) } }
        let watchdog = Task {
            while process.isRunning {
                try await Task.sleep(for: .milliseconds(200))
                if ContinuousClock.now - lastActivity.withLock({ $0 }) > inactivityTimeout {
                    timedOut.withLock { $0 = true }
                    terminate(process)
                    return
                }
            }
        }
        let status = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                let already: Int32? = exit.withLock { state in
                    if let status = state.status { return status }
                    state.waiter = continuation
                    return nil
                }
                if let already { continuation.resume(returning: already) }
            }
        } onCancel: {
            terminate(process)
        }
        watchdog.cancel()
        // Output still in the pipe is delivered; a leftover grandchild holding it is not waited for.
        let drained = Task {
            try? await Task.sleep(for: .seconds(1))
            lineTask.cancel()
        }
        await lineTask.value
        drained.cancel()
        if Task.isCancelled { throw CancellationError() }
        return Result(status: status, timedOut: timedOut.withLock { $0 }, lastLines: lastLines.withLock { $0 })
    }

    /// SIGTERM to the renderer's process group now, SIGKILL two seconds later.
    static func terminate(_ process: Process) {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        if kill(-pid, SIGTERM) != 0 { kill(pid, SIGTERM) }
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 2)
            if kill(-pid, SIGKILL) != 0, process.isRunning { kill(pid, SIGKILL) }
        }
    }
}
