import Foundation
#if canImport(Glibc)
import Glibc
private let systemRead = Glibc.read
#elseif canImport(Darwin)
import Darwin
private let systemRead = Darwin.read
#endif

extension HubSetting {
    /// The largest input file the hub reads (PokerGFX and WSOP+ exports; hubctl's description,
    /// catalog and mapping files).
    package static let syncMaxFileBytes = HubSetting(name: "HUB_SYNC_MAX_FILE_BYTES", defaultValue: String(InputFile.defaultMaxBytes),
        summary: "largest file hub-sync imports (PokerGFX, WSOP+) and hubctl aep/graphics import read; a larger one is skipped unread", isSecret: false)
}

/// Reads the files the hub imports — exports on a NAS anyone can write to, description and catalog
/// files — with limits: never more than a cap into memory, never through a symbolic link found in
/// an export folder (it could point anywhere: `/etc/passwd`, a folder, itself), never a pipe or a
/// device (a read that waits forever, or never ends), and never a file that changes while it is
/// read (an export still being written is read again on the next sync).
package enum InputFile {
    /// 64 MiB: about 6,000 times the size of a real PokerGFX export of a few hands, and far above
    /// any WSOP+ file.
    package static let defaultMaxBytes = 64 << 20

    /// The accepted range of ``HubSetting/syncMaxFileBytes``: 1 KiB to 16 GiB.
    package static let maxBytesRange = 1_024...(16 << 30)

    /// Why a file was not read, in words an operator can act on.
    package struct Refusal: Error, Sendable, CustomStringConvertible {
        package var reason: String
        package var description: String { reason }
    }

    /// The cap a configuration sets (``HubSetting/syncMaxFileBytes``).
    /// - Throws: ``HubError`` `.configuration` for a value outside ``maxBytesRange``.
    package static func maxBytes(_ configuration: HubConfiguration) throws -> Int {
        try configuration.integer(.syncMaxFileBytes, in: maxBytesRange)
    }

    /// The bytes of the file at `path`.
    /// - Parameters:
    ///   - maxBytes: a larger file is refused without reading it (its size is checked first; one that
    ///     grows past the cap while read is refused when the cap is reached).
    ///   - followLinks: read through a symbolic link (a file an operator names); false for files an
    ///     export folder holds.
    ///   - afterChunk: called with the bytes read so far after each read (tests).
    /// - Throws: ``Refusal`` saying why: gone, unreadable, a link, a folder, a pipe or device, too
    ///   large, empty is not refused (the parsers say so), changed while read.
    package static func read(_ path: String, maxBytes: Int, followLinks: Bool = false,
                            afterChunk: ((Int) throws -> Void)? = nil) throws -> Data {
        // O_NONBLOCK: opening a named pipe never waits for a writer (it is refused below).
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (followLinks ? 0 : O_NOFOLLOW))
        guard descriptor >= 0 else { throw Refusal(reason: openFailure(path, errno: errno, followLinks: followLinks)) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Refusal(reason: "its size could not be read: \(String(cString: strerror(errno)))") }
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw Refusal(reason: "it is a folder, not a file")
        default: throw Refusal(reason: "it is not a regular file (a named pipe, socket or device): nothing is read from it")
        }
        let size = Int(status.st_size)
        guard size <= maxBytes else { throw tooLarge(size: "\(size) bytes", maxBytes: maxBytes) }
        let chunk = 64 * 1024
        var data = Data(capacity: size + 1)
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let count = buffer.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, chunk) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw Refusal(reason: "reading it failed: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            data.append(contentsOf: buffer[0..<count])
            guard data.count <= maxBytes else { throw tooLarge(size: "more than \(maxBytes) bytes (it grew while it was read)", maxBytes: maxBytes) }
            try afterChunk?(data.count)
        }
        var after = stat()
        if fstat(descriptor, &after) == 0, Int(after.st_size) != data.count || modified(after) != modified(status) {
            throw Refusal(reason: "it changed while it was read (\(size) bytes when opened, \(after.st_size) now; still being written?)"
                          + (followLinks ? ": try again when it is complete" : ": it is read again on the next sync"))
        }
        return data
    }

    /// The bytes of a file an operator names (`hubctl aep import FILE`, `graphics import`,
    /// `graphics mapping import`): a link is followed, the cap is ``HubSetting/syncMaxFileBytes``.
    /// - Throws: ``HubError`` `.notFound` when there is no such file, `.usage` for a file that is
    ///   refused (a folder, a pipe, too large), `.configuration` for a bad cap.
    package static func readNamed(_ path: String, configuration: HubConfiguration) throws -> Data {
        let cap = try maxBytes(configuration)
        do {
            return try read(path, maxBytes: cap, followLinks: true)
        } catch let refusal as Refusal {
            var status = stat()
            throw HubError(stat(path, &status) == 0 ? .usage : .notFound, "cannot read \(path): \(refusal.reason)")
        }
    }

    /// ``read(_:maxBytes:followLinks:afterChunk:)`` for a file an export folder holds.
    /// - Throws: ``SyncFileError`` with the path and the reason.
    static func readExport(_ path: String, maxBytes: Int) throws -> Data {
        do {
            return try read(path, maxBytes: maxBytes)
        } catch let refusal as Refusal {
            throw SyncFileError(path: path, reason: refusal.reason)
        }
    }

    /// The modification time of `status` in nanoseconds.
    static func modified(_ status: stat) -> Int {
        #if canImport(Glibc)
        status.st_mtim.tv_sec * 1_000_000_000 + status.st_mtim.tv_nsec
        #else
        status.st_mtimespec.tv_sec * 1_000_000_000 + status.st_mtimespec.tv_nsec
        #endif
    }

    static func tooLarge(size: String, maxBytes: Int) -> Refusal {
        Refusal(reason: "the file is \(size), above the limit of \(maxBytes) bytes (HUB_SYNC_MAX_FILE_BYTES): it was not read")
    }

    static func openFailure(_ path: String, errno code: Int32, followLinks: Bool) -> String {
        var isLink = false
        var status = stat()
        if lstat(path, &status) == 0 { isLink = status.st_mode & S_IFMT == S_IFLNK }
        switch code {
        case ELOOP where !followLinks || isLink:
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map { " to \($0)" } ?? ""
            return followLinks
                ? "it is a symbolic link\(target) that leads in a circle"
                : "it is a symbolic link\(target): links in an export folder are not followed (copy the export into the folder)"
        case ENOENT:
            if isLink { return "it is a symbolic link to a file that does not exist" }
            return followLinks ? "the file does not exist"
                               : "the file does not exist (removed after it was listed?): it is tried again on the next sync"
        case EACCES, EPERM: return "it is not readable (permission denied)"
        default: return "it could not be opened: \(String(cString: strerror(code)))"
        }
    }
}
