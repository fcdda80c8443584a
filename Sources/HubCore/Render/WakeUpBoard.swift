/// Lets waiting worker slots sleep until a signal arrives or a timeout passes.
///
/// One `LISTEN` connection per process feeds it (``RenderWorker`` in fallback mode): each
/// notification wakes every waiting slot, and each slot then tries to claim.
actor WakeUpBoard {
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextID = 0
    private var pendingSignals = 0

    /// Waits until ``signal()`` or `timeout`; returns at once if a signal came since the last wait.
    func wait(timeout: Duration) async {
        if pendingSignals > 0 {
            pendingSignals = 0
            return
        }
        nextID += 1
        let id = nextID
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.wake(id)
        }
        await withCheckedContinuation { continuation in
            waiters[id] = continuation
        }
        timer.cancel()
    }

    /// Wakes every waiting slot (or the next one to wait).
    func signal() {
        if waiters.isEmpty {
            pendingSignals += 1
            return
        }
        let all = waiters
        waiters = [:]
        for (_, continuation) in all { continuation.resume() }
    }

    /// Wakes at most `count` waiting slots, the longest waiting first (or lets the next one to
    /// wait return at once when none is waiting).
    func signal(upTo count: Int) {
        if waiters.isEmpty {
            pendingSignals += 1
            return
        }
        for id in waiters.keys.sorted().prefix(max(1, count)) {
            waiters.removeValue(forKey: id)?.resume()
        }
    }

    private func wake(_ id: Int) {
        waiters.removeValue(forKey: id)?.resume()
    }
}
