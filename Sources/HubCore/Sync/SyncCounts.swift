/// What one source's import did: the counts the sync history records (SPEC §4.3).
public struct SyncCounts: Sendable, Hashable, Codable {
    public var filesSeen = 0
    public var filesImported = 0
    public var filesUnchanged = 0
    public var filesFailed = 0
    public var rowsCreated = 0
    public var rowsUpdated = 0
    /// Every skipped file with its reason.
    public var errors: [SyncFileError] = []
    /// Values dropped from rows that still imported (a WSOP+ photo outside the media roots, a
    /// country that is not a name), with where and why.
    public var warnings: [SyncFileError] = []

    public init() {}

    /// Adds `other`'s counts to these.
    public mutating func add(_ other: SyncCounts) {
        filesSeen += other.filesSeen
        filesImported += other.filesImported
        filesUnchanged += other.filesUnchanged
        filesFailed += other.filesFailed
        rowsCreated += other.rowsCreated
        rowsUpdated += other.rowsUpdated
        errors += other.errors
        warnings += other.warnings
    }
}
