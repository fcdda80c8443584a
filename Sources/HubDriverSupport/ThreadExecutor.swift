#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// A serial executor backed by one dedicated OS thread.
///
/// Each C connection (libpq, hiredis) is owned by an actor whose `unownedExecutor` is one of these,
/// so the blocking C calls the actor makes run on this thread and never on Swift's cooperative
/// thread pool. Jobs run in FIFO order. The thread exits after ``shutdown()`` once its queue drains.
public final class ThreadExecutor: SerialExecutor, TaskExecutor, @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var jobs: [UnownedJob] = []
    private var stopping = false
    private var parked = false
    private let name: String
    /// Jobs enqueued but not yet taken: lets the thread spin briefly on an atomic before parking.
    private let pending = Atomic<Int>(0)
    /// How long the thread keeps looking for the next job before it sleeps.
    private let spinNanoseconds: UInt64

    /// Starts the thread.
    /// - Parameter name: the thread's name, shown in debuggers and `top -H` (at most 15 bytes are kept).
    public init(name: String, spinMicroseconds: Int = 50) {
        self.name = name
        self.spinNanoseconds = UInt64(max(0, spinMicroseconds)) * 1000
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        jobs.reserveCapacity(16)
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
        let unowned = UnownedJob(job)
        pthread_mutex_lock(&mutex)
        jobs.append(unowned)
        pending.add(1, ordering: .releasing)
        let wake = parked
        pthread_mutex_unlock(&mutex)
        if wake { pthread_cond_signal(&condition) }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    /// Asks the thread to exit once the jobs already queued have run.
    public func shutdown() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_mutex_unlock(&mutex)
        pthread_cond_signal(&condition)
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
        let executor = asUnownedSerialExecutor()
        var batch: [UnownedJob] = []
        batch.reserveCapacity(16)
        while true {
            spinForWork()
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
            pending.subtract(batch.count, ordering: .relaxed)
            pthread_mutex_unlock(&mutex)
            for job in batch { job.runSynchronously(on: executor) }
            batch.removeAll(keepingCapacity: true)
        }
    }

    /// A connection's next request usually follows the previous reply within microseconds (the
    /// caller decodes and sends again). Looking for it briefly before sleeping saves a futex
    /// wake-up per round trip; the thread then parks as usual.
    private func spinForWork() {
        guard spinNanoseconds > 0, pending.load(ordering: .acquiring) == 0 else { return }
        let deadline = Self.now() &+ spinNanoseconds
        var checks = 0
        while pending.load(ordering: .acquiring) == 0 {
            checks &+= 1
            if checks & 63 == 0 {
                if Self.now() >= deadline { return }
                sched_yield()
            }
        }
    }

    private static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
