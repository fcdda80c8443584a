import CHubProcess
import Foundation
import HubDriverSupport

/// Runs a child process for a render: streams its output lines, kills it after a silence, and
/// terminates it when the awaiting task is cancelled. Blocking reads and waits happen on threads
/// of their own, never on the cooperative pool.
///
/// The child is started by a small C shim (`CHubProcess`, fork/exec) as the leader of a process
/// group of its own, so terminating the group also stops the programs it started (a shell script's
/// children would otherwise keep running and hold the output pipe open), and — on Linux — with a
/// parent-death signal (`PR_SET_PDEATHSIG`, SIGKILL): a `hub-worker` that is killed takes its
/// renders with it. Programs a render starts itself are not reached by that signal: a guard
/// process per render (`hub_spawn_group_guard`) waits on a pipe only the worker holds and kills
/// the render's whole process group when the worker is gone. The signal follows the thread that forked, so the child is started on a
/// thread of its own that lives until the child has exited (it waits for it). Its environment
/// holds none of the hub's secrets (``childEnvironment(_:)``). While a render worker has bound
/// ``pidFile``, a pid file names the running child, so that the next worker on the machine can
/// sweep it if this one dies (RenderWorker+Sweep.swift).
enum SupervisedProcess {
    struct Result: Sendable {
        var status: Int32
        var timedOut: Bool
        var lastLines: [String]
    }

    /// Where the pid file of the process started by ``run(executable:arguments:inactivityTimeout:onLine:)``
    /// goes; bound by the render worker around a backend's render.
    @TaskLocal static var pidFile: RenderProcessFile?

    /// Variables a renderer never sees: the hub's connection URLs, keys and passwords.
    static let secretVariables: Set<String> = [
        "HUB_DATABASE_URL", "HUB_ADMIN_DATABASE_URL", "HUB_REDIS_URL", "HUB_API_KEYS", "HUB_DASHBOARD_PASSWORD",
        "HUB_WEBHOOK_URL", "HUB_NEXRENDER_SECRET", "PGPASSWORD", "REDISCLI_AUTH",
    ]

    /// `environment` without the hub's secrets: ``secretVariables``, every `HUB_` variable whose
    /// name holds SECRET, PASSWORD, TOKEN or KEY, and every variable whose name holds PASSWORD.
    static func childEnvironment(_ environment: [String: String]) -> [String: String] {
        environment.filter { name, _ in
            let upper = name.uppercased()
            if secretVariables.contains(upper) || upper.contains("PASSWORD") { return false }
            if upper.hasPrefix("HUB_"), ["SECRET", "PASSWORD", "TOKEN", "KEY"].contains(where: upper.contains) { return false }
            return true
        }
    }

    /// The started child: its exit status and the task waiting for it, under one lock so neither
    /// can miss the other.
    final class Child: Sendable {
        let pid: pid_t
        private let exit = PThreadLocked<(status: Int32?, waiter: CheckedContinuation<Int32, Never>?)>((nil, nil))

        init(pid: pid_t) { self.pid = pid }

        var hasExited: Bool { exit.withLock { $0.status != nil } }

        func exited(_ status: Int32) {
            let waiter = exit.withLock { state -> CheckedContinuation<Int32, Never>? in
                state.status = status
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: status)
        }

        func status() async -> Int32 {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                let already: Int32? = exit.withLock { state in
                    if let status = state.status { return status }
                    state.waiter = continuation
                    return nil
                }
                if let already { continuation.resume(returning: already) }
            }
        }
    }

    /// Starts `executable` on a thread of its own that then waits for it (see the type's comment).
    private static func start(executable: String, arguments: [String], environment: [String: String], outputFD: Int32) async throws -> Child {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Child, any Error>) in
            Thread.detachNewThread {
                let argv = ([executable] + arguments).map { strdup($0) } + [nil]
                let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
                let pid = hub_spawn(executable, argv, envp, outputFD)
                let spawnErrno = errno
                argv.forEach { free($0) }
                envp.forEach { free($0) }
                guard pid > 0 else {
                    continuation.resume(throwing: HubError(.unavailable, "cannot start \(executable): \(String(cString: strerror(spawnErrno)))"))
                    return
                }
                // Programs the render starts are out of the parent-death signal's reach: a guard
                // process kills the whole group when this process dies.
                var guardFD: Int32 = -1
                let guardPID = hub_spawn_group_guard(pid, &guardFD)
                let child = Child(pid: pid)
                continuation.resume(returning: child)
                let status = hub_wait(pid)
                if guardPID > 0 {
                    kill(guardPID, SIGKILL)
                    _ = hub_wait(guardPID)
                    close(guardFD)
                }
                child.exited(status)
            }
        }
    }

    static func run(
        executable: String, arguments: [String], inactivityTimeout: Duration,
        onLine: @escaping @Sendable (String) async -> Void
    ) async throws -> Result {
        let pipe = Pipe()
        let lastActivity = PThreadLocked(ContinuousClock.now)
        let lastLines = PThreadLocked<[String]>([])
        let timedOut = PThreadLocked(false)
        let (lines, linesContinuation) = AsyncStream.makeStream(of: String.self)
        let child: Child
        do {
            child = try await start(executable: executable, arguments: arguments,
                                    environment: childEnvironment(ProcessInfo.processInfo.environment),
                                    outputFD: pipe.fileHandleForWriting.fileDescriptor)
        } catch {
            try? pipe.fileHandleForWriting.close()
            try? pipe.fileHandleForReading.close()
            throw error
        }
        // Only the child (and what it starts) holds the write end now: EOF when they are gone.
        try? pipe.fileHandleForWriting.close()
        let pidFile = Self.pidFile
        pidFile?.write(pid: child.pid)
        defer { pidFile?.remove() }
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
            try? handle.close()
        }
        let lineTask = Task { for await line in lines { await onLine(line) } }
        let watchdog = Task {
            while !child.hasExited {
                try await Task.sleep(for: .milliseconds(200))
                if ContinuousClock.now - lastActivity.withLock({ $0 }) > inactivityTimeout {
                    timedOut.withLock { $0 = true }
                    terminate(child)
                    return
                }
            }
        }
        let status = await withTaskCancellationHandler {
            await child.status()
        } onCancel: {
            terminate(child)
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
    static func terminate(_ child: Child) {
        guard !child.hasExited else { return }
        let pid = child.pid
        if kill(-pid, SIGTERM) != 0 { kill(pid, SIGTERM) }
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 2)
            if kill(-pid, SIGKILL) != 0, !child.hasExited { kill(pid, SIGKILL) }
        }
    }
}
