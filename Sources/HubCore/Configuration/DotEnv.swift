import Foundation

/// Reads `.env` files: `KEY=VALUE` lines, optional `export `, `#` comment lines, blank lines, and
/// values that are bare (a ` #` starts a trailing comment), in single quotes (taken literally), or in
/// double quotes (`\n` and `\t` are newline and tab; a backslash before any other character keeps
/// that character, so `\"` and `\\` work). A quoted value must end the line.
package enum DotEnv {
    /// Parses the text of a `.env` file.
    /// - Throws: ``HubError`` `.configuration` naming the file and line (never the value).
    package static func parse(_ text: String, source: String = ".env") throws -> [String: String] {
        var values: [String: String] = [:]
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            var line = Substring(rawLine).trimmingCharacters(in: .whitespaces)[...]
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count).drop(while: { $0 == " " }) }
            guard let eq = line.firstIndex(of: "=") else {
                throw HubError(.configuration, "\(source) line \(lineNumber): expected KEY=VALUE")
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }),
                  !(key.first?.isNumber ?? true)
            else {
                throw HubError(.configuration, "\(source) line \(lineNumber): '\(key)' is not a valid variable name")
            }
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)[...]
            if value.hasPrefix("'") {
                guard value.count >= 2, value.hasSuffix("'") else {
                    throw HubError(.configuration, "\(source) line \(lineNumber): unterminated single quote in \(key)")
                }
                value = value.dropFirst().dropLast()
            } else if value.hasPrefix("\"") {
                guard value.count >= 2, value.hasSuffix("\""), !value.hasSuffix("\\\"") || value.hasSuffix("\\\\\"") else {
                    throw HubError(.configuration, "\(source) line \(lineNumber): unterminated double quote in \(key)")
                }
                value = Substring(unescape(value.dropFirst().dropLast()))
            } else if let hash = value.range(of: " #") {
                value = value[..<hash.lowerBound].trimmingCharacters(in: .whitespaces)[...]
            }
            values[key] = String(value)
        }
        return values
    }

    /// Reads and parses the file at `path`; a missing file is an empty result.
    package static func load(path: String) throws -> [String: String] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw HubError(.configuration, "cannot read \(path): check its permissions")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw HubError(.configuration, "\(path) is not UTF-8 text")
        }
        return try parse(text, source: path)
    }

    private static func unescape(_ text: Substring) -> String {
        var out = ""
        var escaping = false
        for ch in text {
            if escaping {
                switch ch {
                case "n": out.append("\n")
                case "t": out.append("\t")
                default: out.append(ch)
                }
                escaping = false
            } else if ch == "\\" {
                escaping = true
            } else {
                out.append(ch)
            }
        }
        return out
    }
}
