import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Names the fuzz case that was running when the test process dies of a signal (a Swift trap, a
/// stack overflow, an abort), so a crash in CI prints which seed and mutation to replay.
///
/// ``run(_:_:)`` keeps the case's name in a static buffer; the handlers, installed once for SIGILL,
/// SIGTRAP, SIGSEGV, SIGBUS and SIGABRT on an alternate stack (a stack overflow leaves no room on
/// the thread's own), write it to standard error with `write(2)` alone, then put back the handler
/// that was there before (the Swift runtime's backtracer, or the default) and let the signal
/// happen again.
public enum FuzzCrashReport {
    static let capacity = 4096
    nonisolated(unsafe) static let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    nonisolated(unsafe) static var length = 0
    static let signals: [Int32] = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT]
    static let lock = NSLock()
    nonisolated(unsafe) static var installed = false
    nonisolated(unsafe) static var savedActions = UnsafeMutablePointer<sigaction>.allocate(capacity: 32)

    /// Runs `body` (synchronous: the alternate stack belongs to this thread) with `name` as the
    /// case to report if the process dies in it.
    public static func run<T>(_ name: @autoclosure () -> String, _ body: () throws -> T) rethrows -> T {
        install()
        let text = Array("\nFUZZ CRASH: the process died while running \(name())\n".utf8.prefix(capacity))
        text.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: $0.count) }
        length = text.count
        defer { length = 0 }
        return try body()
    }

    static func install() {
        lock.lock()
        defer { lock.unlock() }
        installAlternateStack()
        guard !installed else { return }
        installed = true
        for signal in signals {
            var action = sigaction()
            var old = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_sigaction = handler
            #else
            action.__sigaction_u.__sa_sigaction = handler
            #endif
            action.sa_flags = SA_SIGINFO | SA_ONSTACK
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, &old)
            savedActions[Int(signal)] = old
        }
    }

    /// An alternate signal stack for the calling thread, unless it has one.
    static func installAlternateStack() {
        var current = stack_t()
        sigaltstack(nil, &current)
        guard current.ss_flags & Int32(SS_DISABLE) != 0 else { return }
        let size = 256 * 1024
        var stack = stack_t()
        stack.ss_sp = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16) // kept for the thread's life
        stack.ss_size = size
        stack.ss_flags = 0
        sigaltstack(&stack, nil)
    }

    static let handler: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = { signal, _, _ in
        if FuzzCrashReport.length > 0 { _ = write(2, FuzzCrashReport.buffer, FuzzCrashReport.length) }
        var old = FuzzCrashReport.savedActions[Int(signal)]
        sigaction(signal, &old, nil)
        // A fault repeats when the handler returns; an abort is raised again.
        if signal == SIGABRT { raise(signal) }
    }
}
