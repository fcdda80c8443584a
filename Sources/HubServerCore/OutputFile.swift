import Foundation

/// A completed render's output as hub-server may hand it out: a regular file whose real path
/// (symbolic links and `..` resolved) lies inside the configured output directory.
///
/// The path comes from `render_outputs`, which any worker (or a database user) writes; checking
/// it here keeps `GET /api/v1/render/{id}/output/file` from serving any other file of the host.
struct OutputFile: Sendable, Hashable {
    /// The resolved path.
    var path: String
    var size: Int64
    var contentType: String

    /// The output at `recordedPath`, or nil when it is missing, not a regular file, or outside
    /// `outputDirectory` once both are resolved. Relative paths are taken from the working
    /// directory, as the worker writes them.
    static func resolve(_ recordedPath: String, inside outputDirectory: String) -> OutputFile? {
        guard !recordedPath.isEmpty, let directory = realPath(outputDirectory), let file = realPath(recordedPath) else { return nil }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        guard file.hasPrefix(prefix), file.count > prefix.count else { return nil }
        var status = stat()
        guard stat(file, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        return OutputFile(path: file, size: Int64(status.st_size), contentType: contentType(of: file))
    }

    /// The canonical absolute path of an existing file or directory.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The media type of an output by its extension.
    static func contentType(of path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "mp4": "video/mp4"
        case "mov": "video/quicktime"
        default: "application/octet-stream"
        }
    }
}
