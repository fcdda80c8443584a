import Foundation

/// A CSV file as the WSOP+ importer accepts it (Docs/wsop-import.md): UTF-8 with or without a
/// byte-order mark, LF or CRLF line ends, comma-separated, fields optionally in double quotes
/// (a quoted field may hold commas, line breaks and doubled quotes `""`), the first row a header.
struct CSVTable {
    /// The header cells, trimmed.
    var header: [String]
    /// The data rows with the line each starts on (blank lines are skipped).
    var rows: [(line: Int, cells: [String])]

    /// Parses `data`.
    /// - Throws: ``ContentError`` for invalid UTF-8, an unterminated quote, or a missing header.
    static func parse(_ data: Data) throws -> CSVTable {
        guard var text = String(bytes: data, encoding: .utf8) else {
            let offset = Self.firstInvalidUTF8(data)
            throw ContentError(position: offset.map { "byte \($0)" }, reason: "the file is not UTF-8 text (save it as UTF-8)")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var records: [(line: Int, cells: [String])] = []
        var cells: [String] = []
        var field = ""
        var inQuotes = false
        var fieldWasQuoted = false
        // Whether the unquoted field so far is only white space (a quote then opens a quoted
        // field). Kept as the field grows: trimming the field at every quote was quadratic, and a
        // 700 KB cell full of quotes held hub-sync for minutes (found by fuzzing).
        var fieldBlank = true
        var line = 1
        var recordLine = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func endRecord() {
            cells.append(fieldWasQuoted ? field : field.trimmingCharacters(in: .whitespaces))
            if !(cells.count == 1 && cells[0].isEmpty) { records.append((recordLine, cells)) }
            cells = []
            field = ""
            fieldWasQuoted = false
            fieldBlank = true
        }
        while let scalar = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if scalar == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.unicodeScalars.append("\""); fieldBlank = false } else { inQuotes = false; pending = next }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    if fieldBlank, !CharacterSet.whitespaces.contains(scalar) { fieldBlank = false }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where fieldBlank:
                inQuotes = true
                fieldWasQuoted = true
                field = ""
            case ",":
                cells.append(fieldWasQuoted ? field : field.trimmingCharacters(in: .whitespaces))
                field = ""
                fieldWasQuoted = false
                fieldBlank = true
            case "\r":
                break
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            default:
                if fieldBlank, !CharacterSet.whitespaces.contains(scalar) { fieldBlank = false }
                field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes { throw ContentError(position: "line \(recordLine)", reason: "a quoted field is never closed") }
        if !field.isEmpty || !cells.isEmpty { endRecord() }
        guard let first = records.first else { throw ContentError(position: nil, reason: "the file is empty (no header row)") }
        return CSVTable(header: first.cells, rows: Array(records.dropFirst()))
    }

    /// The offset of the first byte that breaks UTF-8, for the error message.
    static func firstInvalidUTF8(_ data: Data) -> Int? {
        var offset = 0
        let bytes = [UInt8](data)
        while offset < bytes.count {
            let b = bytes[offset]
            let length = b < 0x80 ? 1 : b >> 5 == 0b110 ? 2 : b >> 4 == 0b1110 ? 3 : b >> 3 == 0b11110 ? 4 : 0
            guard length > 0, offset + length <= bytes.count,
                  bytes[(offset + 1)..<(offset + length)].allSatisfy({ $0 >> 6 == 0b10 }) else { return offset }
            offset += length
        }
        return nil
    }
}
