#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A serial executor backed by one dedicated OS thread.
///
/// Each C connection (libpq, hiredis) is owned by an actor whose `unownedExecutor` is one of these,
/// so the blocking C calls the actor makes run on this thread and never on Swift's cooperative
/// thread pool. Jobs run in FIFO order. The thread exits after ``shutdown()`` once its queue drains.
///
/// It is also a `TaskExecutor`: a task that prefers it (`withTaskExecutorPreference`) runs its
/// nonisolated code on this same thread, so awaiting the owning actor costs no thread switch. The
/// pools use that for `withAffinity` and for the bodies of `withConnection`.
public final class ThreadExecutor: SerialExecutor, @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    /// Queued jobs; `forTask` marks jobs enqueued through ``taskExecutor`` (a task's preference)
    /// rather than by the owning actor, since the two must be run differently.
    private var jobs: [(job: UnownedJob, forTask: Bool)] = []
    private var stopping = false
    private var parked = false
    private let name: String

    /// Starts the thread.
    /// - Parameter name: the thread's name, shown in debuggers and `top -H` (at most 15 bytes are kept).
    public init(name: String) {
        self.name = name
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        jobs.reserveCapacity(16)
        taskExecutor = ThreadTaskExecutor(thread: self)
        let thread = Thread { [self] in self.run() }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        append(UnownedJob(job), forTask: false)
    }

    fileprivate func append(_ unowned: UnownedJob, forTask: Bool) {
        pthread_mutex_lock(&mutex)
        jobs.append((unowned, forTask))
        let wake = parked
        pthread_mutex_unlock(&mutex)
        if wake { pthread_cond_signal(&condition) }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// This thread as a `TaskExecutor`: a task that prefers it (`withTaskExecutorPreference`)
    /// runs its nonisolated code here, so awaiting the owning actor needs no thread wake-up.
    public private(set) var taskExecutor: ThreadTaskExecutor!

    /// Asks the thread to exit once the jobs already queued have run.
    public func shutdown() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_mutex_unlock(&mutex)
        pthread_cond_signal(&condition)
    }

    /// Called by `assumeIsolated` when the runtime cannot tell by identity that code runs on this
    /// executor (a task that prefers this thread runs as a task-executor job): this thread is the
    /// serial executor, so code on it is isolated to the owning actor.
    public func checkIsolated() {
        precondition(isCurrent, "expected to run on the thread \(name)")
    }

    /// Whether the calling code is running on this executor's thread.
    public var isCurrent: Bool {
        pthread_getspecific(Self.currentKey) == Unmanaged.passUnretained(self).toOpaque()
    }

    private static let currentKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    private func run() {
        pthread_setspecific(Self.currentKey, Unmanaged.passUnretained(self).toOpaque())
        let serialExecutor = asUnownedSerialExecutor()
        let taskExecutor = self.taskExecutor.asUnownedTaskExecutor()
        var batch: [(job: UnownedJob, forTask: Bool)] = []
        batch.reserveCapacity(16)
        while true {
            pthread_mutex_lock(&mutex)
            while jobs.isEmpty && !stopping {
                parked = true
                pthread_cond_wait(&condition, &mutex)
                parked = false
            }
            if jobs.isEmpty && stopping {
                pthread_mutex_unlock(&mutex)
                return
            }
            swap(&batch, &jobs)
            pthread_mutex_unlock(&mutex)
            for entry in batch {
                if entry.forTask {
                    entry.job.runSynchronously(on: taskExecutor)
                } else {
                    entry.job.runSynchronously(on: serialExecutor)
                }
            }
            batch.removeAll(keepingCapacity: true)
        }
    }
}

/// The task-executor face of a ``ThreadExecutor``: jobs enqueued here run on the same thread as
/// the owning actor's, but as the nonisolated code of a task that prefers this thread.
public final class ThreadTaskExecutor: TaskExecutor, @unchecked Sendable {
    private unowned let thread: ThreadExecutor

    init(thread: ThreadExecutor) { self.thread = thread }

    public func enqueue(_ job: consuming ExecutorJob) {
        thread.append(UnownedJob(job), forTask: true)
    }

    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }
}
