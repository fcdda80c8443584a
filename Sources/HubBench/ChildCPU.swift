import Foundation

/// A child process run to completion with its own CPU time (`wait4`'s resource usage).
struct ChildRun {
    var status: Int32
    var wallSeconds: Double
    var userSeconds: Double
    var systemSeconds: Double
    var maxResidentKB: Int
    var stdout: String
    var stderr: String
    var cpuSeconds: Double { userSeconds + systemSeconds }

    /// Runs `executable` with `arguments` and `environment` (the whole environment), its output
    /// captured in files under `scratch`; waits on a thread of its own.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String], scratch: URL) async throws -> ChildRun {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try runBlocking(executable, arguments, environment: environment, scratch: scratch) })
            }
        }
    }

    static func runBlocking(_ executable: String, _ arguments: [String], environment: [String: String], scratch: URL) throws -> ChildRun {
        let outPath = scratch.appendingPathComponent("child.\(UUID().uuidString).out").path
        let errPath = scratch.appendingPathComponent("child.\(UUID().uuidString).err").path
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let start = ContinuousClock.now
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else { throw BenchError("could not start \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw BenchError("wait4 failed: \(String(cString: strerror(errno)))") }
        }
        let wall = (ContinuousClock.now - start).seconds
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ChildRun(status: exit, wallSeconds: wall, userSeconds: Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
                        systemSeconds: Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6,
                        maxResidentKB: Int(usage.ru_maxrss),
                        stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                        stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}

/// The CPU time a local PostgreSQL server spent, from `/proc`: the postmaster's own and its
/// reaped children's (every backend that has exited: a client's connections, finished autovacuum
/// workers) plus its live children's (checkpointer, WAL writer, background writer, open backends).
/// Differences between two samples are the server's CPU for what ran in between — the whole
/// server's, so the benchmark wants a server of its own.
struct ServerCPU {
    let postmaster: Int32
    let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// The postmaster of `backendPID`, when the server runs on this machine and `/proc` shows it.
    init?(backendPID: Int32) {
        guard let stat = Self.stat(backendPID), stat.ppid > 1, Self.stat(stat.ppid) != nil else { return nil }
        postmaster = stat.ppid
    }

    /// (utime, stime, cutime, cstime) in ticks, and the parent, of process `pid`.
    static func stat(_ pid: Int32) -> (ppid: Int32, user: Double, system: Double, childUser: Double, childSystem: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 14, let ppid = Int32(fields[1]), let u = Double(fields[11]), let s = Double(fields[12]),
              let cu = Double(fields[13]), let cs = Double(fields[14]) else { return nil }
        return (ppid, u, s, cu, cs)
    }

    /// The server's CPU seconds so far (user + system).
    func sample() -> Double {
        var ticks = 0.0
        if let own = Self.stat(postmaster) { ticks += own.user + own.system + own.childUser + own.childSystem }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name), pid != postmaster, let stat = Self.stat(pid), stat.ppid == postmaster else { continue }
            ticks += stat.user + stat.system
        }
        return ticks / ticksPerSecond
    }
}
