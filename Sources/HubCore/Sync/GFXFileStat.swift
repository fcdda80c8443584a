import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the file system says about an export file without reading it: its size, its modification
/// and change times in nanoseconds, and its identity (inode and device). `hub-sync` records it for
/// every path it reads (`gfx_file_paths`), and does not read a path again while all of it is
/// unchanged (``GFXRecordedPath/proves(_:)``).
struct GFXFileStat: Sendable, Hashable {
    var size: Int64
    /// `st_mtime`: set by whoever writes the file (a copy can carry the original's).
    var modifiedNs: Int64
    /// `st_ctime`: set by the kernel on every write or rename, never by the writer.
    var changedNs: Int64
    var inode: Int64
    var device: Int64

    /// The status of the regular file at `path` (a symbolic link is not followed: the import
    /// refuses links); nil when there is none.
    static func of(_ path: String) -> GFXFileStat? {
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        #if canImport(Glibc)
        let modified = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
        let changed = Int64(status.st_ctim.tv_sec) * 1_000_000_000 + Int64(status.st_ctim.tv_nsec)
        #else
        let modified = Int64(status.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(status.st_mtimespec.tv_nsec)
        let changed = Int64(status.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(status.st_ctimespec.tv_nsec)
        #endif
        return GFXFileStat(size: Int64(status.st_size), modifiedNs: modified, changedNs: changed,
                           inode: Int64(bitPattern: UInt64(status.st_ino)), device: Int64(bitPattern: UInt64(status.st_dev)))
    }

    /// This host's wall clock in nanoseconds since 1970 (the clock file times are compared with).
    static func nowNs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }
}

/// A path as `hub-sync` last read it: the content it held (a hash in `gfx_files`), the file's
/// status just before the read, and when the read began.
struct GFXRecordedPath: Sendable, Hashable {
    var hash: String
    var stat: GFXFileStat
    var readAtNs: Int64

    /// A read that began less than this after the file's last change is not trusted to have seen
    /// the file's final content: a write within the same tick of the file system's clock (one
    /// second on some, two on FAT and SMB shares) or of a NAS whose clock is a little behind this
    /// host's leaves the times as they were.
    static let racyMarginNs: Int64 = 2_000_000_000

    /// Whether `current` proves the file still holds what this read found: its size, times and
    /// identity are the same, and the read was not racy (the file had not changed within
    /// ``racyMarginNs`` before the read began — else a write right after the read could have left
    /// every one of them as it was, the "racy git" problem). A racy path is read and hashed again;
    /// that read, later, is the one that counts.
    func proves(_ current: GFXFileStat, margin: Int64 = racyMarginNs) -> Bool {
        current == stat && max(stat.modifiedNs, stat.changedNs) < readAtNs - margin
    }
}
