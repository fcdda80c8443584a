/// What one source's import did: the counts the sync history records (SPEC §4.3).
package struct SyncCounts: Sendable, Hashable, Codable {
    package var filesSeen = 0
    package var filesImported = 0
    package var filesUnchanged = 0
    package var filesFailed = 0
    package var rowsCreated = 0
    package var rowsUpdated = 0
    /// Every skipped file with its reason.
    package var errors: [SyncFileError] = []
    /// Values dropped from rows that still imported (a WSOP+ photo outside the media roots, a
    /// country that is not a name), with where and why.
    package var warnings: [SyncFileError] = []

    package init() {}

    /// Adds `other`'s counts to these.
    package mutating func add(_ other: SyncCounts) {
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
