import Foundation

/// Where the images and clips a render refers to may come from (issue 13: layer data and WSOP+
/// photos reached the render machines unchecked — `http://169.254.169.254/…`, `file:///etc/…`,
/// `../../`).
///
/// A media reference is allowed only when it resolves
/// - to a file inside a **media root**: the template directory (``templateDirectory``,
///   `HUB_TEMPLATE_DIR`; relative references resolve against it, as the renderers do) or a
///   directory of `HUB_MEDIA_ROOTS`. The path is normalised (`.`/`..` removed) before it is
///   compared, and symbolic links along it are resolved (as far as the path exists on this
///   machine) and must stay inside a root too. `file://` URLs follow the same rule;
/// - to an `http`/`https` URL under a prefix of `HUB_MEDIA_URL_PREFIXES`, compared as parsed parts
///   — scheme, host, port and whole path segments — never as text, so
///   `http://cdn.example.com.evil.net/` and `http://cdn.example.com@evil.net/` do not pass for
///   `http://cdn.example.com/`, and a URL with a user name or password is refused outright.
///
/// Everything else is refused: other schemes (`ftp:`, `smb:`, `javascript:`, `data:`, …), NUL and
/// control characters, backslashes in URLs, encoded slashes in a URL path.
///
/// The same check runs when an instruction is submitted (``RenderStore``: HTTP 422, hubctl exit 1,
/// naming the field) and again on the worker right before the data goes to the renderer
/// (``RenderWorker``: the attempt fails for good).
package struct MediaPolicy: Sendable, Hashable {
    /// An allowed URL prefix, parsed.
    package struct URLPrefix: Sendable, Hashable, CustomStringConvertible {
        /// `http` or `https`.
        package var scheme: String
        /// Lower-cased host name or address.
        package var host: String
        /// The port, explicit or the scheme's default.
        package var port: Int
        /// The decoded path segments a URL's path must start with.
        package var segments: [String]

        /// Parses `http(s)://host[:port][/path]`.
        /// - Throws: ``HubError`` `.configuration` naming what is wrong.
        package init(parsing text: String) throws {
            let parsed: MediaPolicy.ParsedURL
            do {
                parsed = try MediaPolicy.parseHTTP(text)
            } catch {
                throw HubError(.configuration, "\(HubSetting.mediaURLPrefixes.name): '\(text)' is not an allowed prefix: \(error.reason) (write e.g. https://cdn.example.com/media/)")
            }
            scheme = parsed.scheme
            host = parsed.host
            port = parsed.port
            segments = parsed.segments
        }

        package var description: String {
            let defaultPort = scheme == "https" ? 443 : 80
            let hostText = host.contains(":") ? "[\(host)]" : host
            return "\(scheme)://\(hostText)\(port == defaultPort ? "" : ":\(port)")/" + segments.map { $0 + "/" }.joined()
        }

        /// Whether `url` is at or below this prefix.
        func covers(_ url: MediaPolicy.ParsedURL) -> Bool {
            url.scheme == scheme && url.host == host && url.port == port
                && url.segments.count >= segments.count && Array(url.segments.prefix(segments.count)) == segments
        }
    }

    /// Why a reference was refused.
    package struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        /// One sentence: what is wrong with it.
        package var reason: String
        package var description: String { reason }
    }

    /// Where relative references resolve (absolute, normalised); always a root.
    package var templateDirectory: String
    /// The directories media may come from (absolute, normalised), the template directory first.
    package var roots: [String]
    /// The URL prefixes media may come from.
    package var urlPrefixes: [URLPrefix]

    /// A policy.
    /// - Parameters:
    ///   - templateDirectory: the template directory (relative: to the working directory).
    ///   - roots: further media roots (relative: to the working directory).
    ///   - urlPrefixes: allowed http(s) prefixes.
    package init(templateDirectory: String = "templates", roots: [String] = ["/srv/media"], urlPrefixes: [URLPrefix] = []) {
        let directory = Self.absolute(templateDirectory)
        self.templateDirectory = directory
        var all = [directory]
        for root in roots.map(Self.absolute) where !all.contains(root) { all.append(root) }
        self.roots = all
        self.urlPrefixes = urlPrefixes
    }

    /// The policy of `HUB_TEMPLATE_DIR`, `HUB_MEDIA_ROOTS` (directories separated by `:` or `,`)
    /// and `HUB_MEDIA_URL_PREFIXES` (separated by `,` or white space).
    /// - Throws: ``HubError`` `.configuration` for a prefix that is not an http(s) URL.
    package init(configuration: HubConfiguration) throws {
        let roots = (configuration.value(.mediaRoots) ?? "")
            .split(whereSeparator: { $0 == ":" || $0 == "," }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let prefixes = try (configuration.value(.mediaURLPrefixes) ?? "")
            .split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init).filter { !$0.isEmpty }
            .map(URLPrefix.init(parsing:))
        self.init(templateDirectory: configuration.value(.templateDirectory) ?? "templates", roots: roots, urlPrefixes: prefixes)
    }

    /// What the policy allows, for messages: `files inside /a, /b; URLs under https://c/`.
    package var allowedDescription: String {
        var text = "files inside " + roots.joined(separator: ", ")
        text += urlPrefixes.isEmpty ? "; no URLs (\(HubSetting.mediaURLPrefixes.name) is empty)"
                                    : "; URLs under " + urlPrefixes.map(\.description).joined(separator: ", ")
        return text
    }

    // MARK: - Resolving one reference

    /// Where a reference leads.
    package enum Resolved: Sendable, Hashable {
        /// A file (absolute, normalised, symbolic links resolved as far as it exists here).
        case file(String)
        /// An http(s) URL under an allowed prefix.
        case url(String)
    }

    /// Resolves `reference` or says why it is refused.
    /// - Throws: ``Refusal``.
    package func resolve(_ reference: String) throws(Refusal) -> Resolved {
        let text = reference.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw Refusal(reason: "it is empty") }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw Refusal(reason: "it contains a control character")
        }
        if let scheme = Self.scheme(of: text) {
            switch scheme {
            case "http", "https":
                let url = try Self.parseHTTP(text)
                guard urlPrefixes.contains(where: { $0.covers(url) }) else {
                    throw Refusal(reason: urlPrefixes.isEmpty
                        ? "URLs are not allowed (\(HubSetting.mediaURLPrefixes.name) names none)"
                        : "the URL is not under an allowed prefix (\(urlPrefixes.map(\.description).joined(separator: ", ")))")
                }
                return .url(text)
            case "file":
                return .file(try resolvePath(try Self.filePath(text)))
            default:
                throw Refusal(reason: "the scheme '\(scheme):' is not allowed (only files inside the media roots and http(s) URLs under \(HubSetting.mediaURLPrefixes.name))")
            }
        }
        return .file(try resolvePath(text))
    }

    /// Why `reference` is refused, nil when it is allowed.
    package func refusal(of reference: String) -> Refusal? {
        do {
            _ = try resolve(reference)
            return nil
        } catch {
            return error
        }
    }

    /// A path: relative to the template directory, normalised, inside a root, and inside a root
    /// still once symbolic links are resolved.
    func resolvePath(_ path: String) throws(Refusal) -> String {
        let absolute = path.hasPrefix("/") ? path : templateDirectory + "/" + path
        let lexical = Self.normalize(absolute)
        guard let root = roots.first(where: { Self.path(lexical, isInside: $0) }) else {
            throw Refusal(reason: "\(lexical) is outside the media roots (\(roots.joined(separator: ", ")); \(HubSetting.mediaRoots.name))")
        }
        let real = Self.realPath(lexical)
        guard roots.contains(where: { Self.path(real, isInside: Self.realPath($0)) }) else {
            throw Refusal(reason: "\(lexical) leads through a symbolic link to \(real), outside the media roots (\(root) and the others of \(HubSetting.mediaRoots.name))")
        }
        return real
    }

    // MARK: - Media references in layer data

    /// Layer or field names whose text is a picture (`Flag 1`, `slot3_flag`, `photo`, `logo_image`).
    static let imageWords = ["flag", "photo", "image", "img", "picture", "pic", "logo", "avatar", "portrait", "headshot", "thumbnail"]
    /// Endings of media files a renderer opens.
    static let mediaExtensions = [".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".tga", ".psd", ".webp", ".svg", ".exr",
                                  ".mov", ".mp4", ".m4v", ".avi", ".mxf", ".webm", ".wav", ".mp3", ".aif", ".aiff", ".aep", ".ai", ".pdf"]
    /// Schemes that are references even without `//`.
    static let opaqueSchemes = ["javascript", "data", "vbscript", "file", "blob", "jar"]

    /// Whether the value of a layer or field named `key` is a media reference the renderer may
    /// open: any URL (`scheme://…`, `javascript:`, `data:`, `file:`), any value of an image layer
    /// or field (its name contains flag, photo, image, logo, …), any value ending in a media file
    /// extension. Plain text (names, numbers, "Level 5: 1,000/2,000") is not.
    package static func isReference(key: String, value: String) -> Bool {
        let text = value.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return false }
        let lower = text.lowercased()
        if lower.contains("://") { return true }
        // `data:image/png;…`, `javascript:alert(1)` — but not the text "Data: 5 hands".
        if let scheme = scheme(of: lower), opaqueSchemes.contains(scheme),
           let next = lower.dropFirst(scheme.count + 1).first, !next.isWhitespace { return true }
        let words = key.lowercased().split(whereSeparator: { !$0.isLetter })
        if words.contains(where: { word in imageWords.contains { word.hasPrefix($0) } }) { return true }
        if let query = lower.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            return mediaExtensions.contains { lower[..<query].hasSuffix($0) }
        }
        return mediaExtensions.contains { lower.hasSuffix($0) }
    }

    /// Checks every media reference in `data` (any depth; a field is named by its path, e.g.
    /// `slots[0].fields.flag`).
    /// - Throws: ``HubError`` `.refused` naming the first refused field, the reference and why.
    package func check(layerData data: [String: JSONValue], what: String = "layer data") throws {
        if let (field, reference, refusal) = firstRefusal(in: .object(data), path: "") {
            let shown = reference.count > 200 ? String(reference.prefix(200)) + "…" : reference
            throw HubError(.refused, "\(what) field \"\(field)\" refers to media that is not allowed: '\(shown)' — \(refusal.reason). "
                + "Allowed: \(allowedDescription).")
        }
    }

    /// The first refused reference in `value`, depth first in key order.
    func firstRefusal(in value: JSONValue, path: String, key: String = "") -> (String, String, Refusal)? {
        switch value {
        case .string(let text):
            guard Self.isReference(key: key, value: text) else { return nil }
            do {
                _ = try resolve(text)
                return nil
            } catch {
                return (path, text, error)
            }
        case .object(let members):
            for name in members.keys.sorted() {
                if let found = firstRefusal(in: members[name]!, path: path.isEmpty ? name : "\(path).\(name)", key: name) { return found }
            }
            return nil
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = firstRefusal(in: item, path: "\(path)[\(index)]", key: key) { return found }
            }
            return nil
        case .null, .bool, .integer, .number:
            return nil
        }
    }

    /// Whether `value` may fill a path pattern's `{value}` (a country code or name in
    /// `Flag/{value}.png`): letters, digits, spaces and `- . ' ( )` only, at most 64 characters,
    /// never `..`. Anything else — a path, a URL — would make the pattern lead elsewhere.
    package static func isPlainName(_ value: String) -> Bool {
        let text = value.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, text.count <= 64, !text.contains("..") else { return false }
        let allowed = CharacterSet.letters.union(.decimalDigits).union(.nonBaseCharacters).union(CharacterSet(charactersIn: " -.'’()"))
        return text.unicodeScalars.allSatisfy(allowed.contains)
    }

    // MARK: - Parsing

    /// A parsed http(s) URL.
    struct ParsedURL: Sendable, Hashable {
        var scheme: String
        var host: String
        var port: Int
        var segments: [String]
    }

    /// The lower-cased scheme of `text` (`scheme:` at its start), nil when it has none.
    static func scheme(of text: String) -> String? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let name = text[..<colon]
        guard let first = name.first, first.isASCII, first.isLetter,
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }) else { return nil }
        return name.lowercased()
    }

    /// Parses an http(s) URL strictly: no user info, no backslash, no encoded slash or dot
    /// segment that climbs above the root.
    static func parseHTTP(_ text: String) throws(Refusal) -> ParsedURL {
        guard !text.contains("\\") else { throw Refusal(reason: "a URL with a backslash is ambiguous") }
        guard !text.contains(where: \.isWhitespace) else { throw Refusal(reason: "a URL cannot contain white space") }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme) else {
            throw Refusal(reason: "it is not a valid http(s) URL")
        }
        guard components.percentEncodedUser == nil, components.percentEncodedPassword == nil else {
            throw Refusal(reason: "a URL with a user name or password (user@host) is not allowed")
        }
        guard var host = components.host?.lowercased(), !host.isEmpty else { throw Refusal(reason: "the URL has no host") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65535).contains(port) else { throw Refusal(reason: "the URL's port \(port) is not a port") }
        var segments: [String] = []
        for raw in components.percentEncodedPath.split(separator: "/", omittingEmptySubsequences: true) {
            guard let segment = String(raw).removingPercentEncoding else { throw Refusal(reason: "the URL path has a malformed %-escape") }
            guard !segment.contains("/"), !segment.contains("\\"), !segment.contains("\0") else {
                throw Refusal(reason: "the URL path has an encoded slash or NUL")
            }
            switch segment {
            case ".": continue
            case "..":
                guard !segments.isEmpty else { throw Refusal(reason: "the URL path climbs above its root (..)") }
                segments.removeLast()
            default: segments.append(segment)
            }
        }
        return ParsedURL(scheme: scheme, host: host, port: port, segments: segments)
    }

    /// The path of a `file:` URL (`file:///p`, `file://localhost/p`, `file:/p`).
    static func filePath(_ text: String) throws(Refusal) -> String {
        guard let components = URLComponents(string: text) else { throw Refusal(reason: "it is not a valid file URL") }
        if let host = components.host, !host.isEmpty, host.lowercased() != "localhost" {
            throw Refusal(reason: "a file URL on another host (\(host)) is not allowed")
        }
        guard let path = components.percentEncodedPath.removingPercentEncoding, path.hasPrefix("/") else {
            throw Refusal(reason: "a file URL needs an absolute path")
        }
        guard !path.contains("\0") else { throw Refusal(reason: "it contains a NUL byte") }
        return path
    }

    /// `path` made absolute against the working directory and normalised.
    static func absolute(_ path: String) -> String {
        normalize(path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path)
    }

    /// An absolute path without `.`, `..` and repeated slashes (`..` at `/` stays at `/`).
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Whether `path` is `root` or below it (whole components).
    static func path(_ path: String, isInside root: String) -> Bool {
        root == "/" || path == root || path.hasPrefix(root + "/")
    }

    /// `path` with every symbolic link resolved, as far as it exists: the longest existing
    /// prefix through `realpath`, the rest (which cannot be a link: it does not exist) appended.
    static func realPath(_ path: String) -> String {
        var existing = path
        var rest: [String] = []
        while true {
            if let resolved = realpath(existing, nil) {
                defer { free(resolved) }
                let base = String(cString: resolved)
                return rest.isEmpty ? base : normalize(base + "/" + rest.reversed().joined(separator: "/"))
            }
            guard existing != "/", let slash = existing.lastIndex(of: "/") else { return path }
            rest.append(String(existing[existing.index(after: slash)...]))
            existing = slash == existing.startIndex ? "/" : String(existing[..<slash])
        }
    }
}

extension HubSetting {
    /// `HUB_MEDIA_ROOTS`: directories media references may point into (besides `HUB_TEMPLATE_DIR`).
    package static let mediaRoots = HubSetting(name: "HUB_MEDIA_ROOTS", defaultValue: "/srv/media",
        summary: "directories images and clips in render data may come from, separated by ':' or ','; HUB_TEMPLATE_DIR always counts (relative paths resolve against it)", isSecret: false)
    /// `HUB_MEDIA_URL_PREFIXES`: http(s) prefixes media references may point under.
    package static let mediaURLPrefixes = HubSetting(name: "HUB_MEDIA_URL_PREFIXES", defaultValue: nil,
        summary: "http(s) URL prefixes images in render data may come from, separated by ',' (scheme, host, port and path compared; unset: no URLs)", isSecret: false)
}
