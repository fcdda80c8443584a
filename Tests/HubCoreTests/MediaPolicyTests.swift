import Foundation
import HubCore
import Testing

/// ``MediaPolicy``: media references resolve only inside the media roots or under an allowed URL
/// prefix (issue 13, item 6), over a real directory tree with symbolic links.
@Suite struct MediaPolicyTests {
    let base: String
    let templates: String
    let media: String
    let policy: MediaPolicy

    init() throws {
        let fm = FileManager.default
        base = fm.temporaryDirectory.appendingPathComponent("hub-media-\(UUID())").path
        templates = base + "/templates"
        media = base + "/media"
        for directory in [templates + "/Flag", media + "/flags", base + "/outside"] {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        for file in [templates + "/Flag/KR.png", media + "/flags/kr.png", base + "/outside/secret.png"] {
            try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        }
        // Links: one leaving the roots, one staying inside them.
        try fm.createSymbolicLink(atPath: media + "/escape", withDestinationPath: base + "/outside")
        try fm.createSymbolicLink(atPath: media + "/etc-link", withDestinationPath: "/etc")
        try fm.createSymbolicLink(atPath: media + "/inside", withDestinationPath: templates + "/Flag")
        policy = MediaPolicy(templateDirectory: templates, roots: [media],
                             urlPrefixes: [try .init(parsing: "https://cdn.example.com/media/"), try .init(parsing: "http://10.0.0.5:8080")])
    }

    func refused(_ reference: String) -> MediaPolicy.Refusal? {
        do {
            _ = try policy.resolve(reference)
            return nil
        } catch {
            return error
        }
    }

    @Test func filesInsideTheRootsResolve() throws {
        #expect(try policy.resolve("Flag/KR.png") == .file(Self.real(templates + "/Flag/KR.png")), "relative: against the template directory")
        #expect(try policy.resolve(media + "/flags/kr.png") == .file(Self.real(media + "/flags/kr.png")))
        #expect(try policy.resolve("file://" + media + "/flags/kr.png") == .file(Self.real(media + "/flags/kr.png")))
        #expect(try policy.resolve("file://localhost" + media + "/flags/kr.png") == .file(Self.real(media + "/flags/kr.png")))
        #expect(try policy.resolve(media + "/flags/not-yet-there.png") == .file(Self.real(media + "/flags") + "/not-yet-there.png"),
                "a file that does not exist yet is judged by its path")
        #expect(try policy.resolve("Flag/../Flag/KR.png") == .file(Self.real(templates + "/Flag/KR.png")), "a .. that stays inside")
        #expect(try policy.resolve(media + "/inside/KR.png") == .file(Self.real(templates + "/Flag/KR.png")), "a link to another root")
    }

    @Test(arguments: [
        "../../../../etc/passwd", "Flag/../../outside/secret.png", "/etc/passwd", "file:///etc/passwd", "file://localhost/etc/shadow",
        "file:///%2e%2e/etc/passwd", "//etc/passwd",
    ])
    func pathsOutsideTheRootsAreRefused(_ reference: String) {
        #expect(refused(reference)?.reason.contains("outside the media roots") == true, "\(reference): \(String(describing: refused(reference)))")
    }

    @Test func linksThatLeaveTheRootsAreRefused() {
        for reference in [media + "/escape/secret.png", media + "/etc-link/passwd", "file://" + media + "/etc-link/hosts"] {
            let refusal = refused(reference)
            #expect(refusal?.reason.contains("symbolic link") == true, "\(reference): \(String(describing: refusal))")
        }
    }

    @Test func urlsMustBeUnderAnAllowedPrefixByTheirParts() throws {
        for allowed in ["https://cdn.example.com/media/flags/kr.png", "https://CDN.example.com:443/media/a%20b.png", "https://cdn.example.com/media/x.png?v=2",
                        "http://10.0.0.5:8080/anything.png", "https://cdn.example.com/media/a/../b.png"] {
            #expect(try policy.resolve(allowed) == .url(allowed), "\(allowed)")
        }
        let refusedURLs = [
            "http://internal.example.com/x.png",                  // another host
            "https://cdn.example.com.evil.net/media/x.png",       // the allowed host as a prefix of another
            "https://cdn.example.com@evil.net/media/x.png",       // user info: the host is evil.net
            "https://user:pw@cdn.example.com/media/x.png",        // credentials in the URL
            "http://cdn.example.com/media/x.png",                 // another scheme
            "https://cdn.example.com:8443/media/x.png",           // another port
            "https://cdn.example.com/mediax/x.png",               // not a whole path segment
            "https://cdn.example.com/media/../private/x.png",     // climbs out of the prefix
            "https://cdn.example.com/media/%2e%2e/private/x.png", // the same, encoded
            "https://cdn.example.com/media%2f..%2fprivate/x.png", // an encoded slash
            "https://cdn.example.com\\@evil.net/media/x.png",     // a backslash
            "http://10.0.0.5/anything.png",                       // the allowed address on another port
            "http://169.254.169.254/latest/meta-data/",
        ]
        for reference in refusedURLs {
            #expect(refused(reference) != nil, "\(reference) passed")
        }
    }

    @Test(arguments: ["javascript:alert(1)", "data:image/png;base64,iVBORw0KGgo=", "ftp://cdn.example.com/media/x.png", "smb://fileserver/share/x.png",
                      "gopher://x", "vbscript:msgbox"])
    func otherSchemesAreRefused(_ reference: String) {
        #expect(refused(reference)?.reason.contains("scheme") == true, "\(reference): \(String(describing: refused(reference)))")
    }

    @Test func controlCharactersAreRefused() {
        #expect(refused("Flag/KR.png\u{0}.txt") != nil)
        #expect(refused("Flag/KR\n.png") != nil)
    }

    @Test func whatCountsAsAReference() {
        #expect(MediaPolicy.isReference(key: "Flag 1", value: "KR"))
        #expect(MediaPolicy.isReference(key: "slot3_flag", value: "Flag/KR.png"))
        #expect(MediaPolicy.isReference(key: "photo", value: "/srv/media/p.jpg"))
        #expect(MediaPolicy.isReference(key: "title", value: "http://internal/x"))
        #expect(MediaPolicy.isReference(key: "title", value: "javascript:alert(1)"))
        #expect(MediaPolicy.isReference(key: "title", value: "logo.PNG"))
        #expect(MediaPolicy.isReference(key: "title", value: "x.png?v=1"))
        #expect(!MediaPolicy.isReference(key: "Name 1", value: "../../etc/passwd"), "text, not a picture")
        #expect(!MediaPolicy.isReference(key: "title", value: "Data: 5 hands"))
        #expect(!MediaPolicy.isReference(key: "blinds", value: "Level 5: 1,000/2,000"))
        #expect(!MediaPolicy.isReference(key: "photo", value: "  "))
    }

    @Test func layerDataIsCheckedAtAnyDepthNamingTheField() throws {
        try policy.check(layerData: ["Name 1": .string("../../etc/passwd"), "Flag 1": .string("Flag/KR.png"), "n": .integer(3)])
        let document: [String: JSONValue] = [
            "slots": .array([.object(["slot_index": .integer(1), "fields": .object(["name": .string("KIM"), "flag": .string("Flag/KR.png")])]),
                             .object(["slot_index": .integer(2), "fields": .object(["flag": .string("file:///etc/passwd")])])]),
        ]
        let error = try #require(throws: HubError.self) { try policy.check(layerData: document) }
        #expect(error.code == .refused)
        #expect(error.message.contains("field \"slots[1].fields.flag\""), "\(error.message)")
        #expect(error.message.contains("'file:///etc/passwd'"), "\(error.message)")
        #expect(error.message.contains("Allowed: files inside \(templates), \(media)"), "\(error.message)")
    }

    @Test func configurationSettings() throws {
        let configuration = try HubConfiguration(environment: [
            "HUB_TEMPLATE_DIR": templates, "HUB_MEDIA_ROOTS": "\(media):/srv/other, /srv/third",
            "HUB_MEDIA_URL_PREFIXES": "https://cdn.example.com/media/, http://10.0.0.5:8080",
        ], dotEnvPath: nil)
        let configured = try MediaPolicy(configuration: configuration)
        #expect(configured.roots == [templates, media, "/srv/other", "/srv/third"])
        #expect(configured.urlPrefixes.map(\.description) == ["https://cdn.example.com/media/", "http://10.0.0.5:8080/"])
        let defaults = try MediaPolicy(configuration: try HubConfiguration(environment: [:], dotEnvPath: nil))
        #expect(defaults.roots == [FileManager.default.currentDirectoryPath + "/templates", "/srv/media"])
        #expect(defaults.urlPrefixes.isEmpty)
        for bad in ["ftp://cdn.example.com/", "https://user@cdn.example.com/", "cdn.example.com/media"] {
            let error = #expect(throws: HubError.self, "\(bad)") {
                try MediaPolicy(configuration: try HubConfiguration(environment: ["HUB_MEDIA_URL_PREFIXES": bad], dotEnvPath: nil))
            }
            #expect(error?.code == .configuration)
            #expect(error?.message.contains("HUB_MEDIA_URL_PREFIXES") == true)
        }
    }

    static func real(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
