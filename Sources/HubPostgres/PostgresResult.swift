/// The rows a statement returned, copied out of libpq into Swift storage.
public struct PostgresResult: Sendable, RandomAccessCollection {
    /// A result column.
    public struct Column: Sendable {
        /// The column's name.
        public var name: String
        /// The column's type.
        public var type: PostgresType
    }

    /// The columns, in order.
    public let columns: [Column]
    /// The command tag's row count (rows inserted, updated, deleted or selected).
    public let affectedRows: Int
    /// The command tag (`INSERT 0 1`, `SELECT 3`, …).
    public let commandTag: String
    let storage: [UInt8]
    /// (offset, length) per cell, row-major; length -1 is NULL.
    let cells: [(offset: Int32, length: Int32)]
    let rowCount: Int

    init(columns: [Column], storage: [UInt8], cells: [(offset: Int32, length: Int32)], rowCount: Int, affectedRows: Int, commandTag: String) {
        self.columns = columns
        self.storage = storage
        self.cells = cells
        self.rowCount = rowCount
        self.affectedRows = affectedRows
        self.commandTag = commandTag
    }

    /// The index of the first column named `name` (a linear scan: results have few columns, and
    /// building a dictionary for every result would cost more than it saves).
    func columnIndex(named name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { rowCount }

    public subscript(position: Int) -> PostgresRow {
        PostgresRow(result: self, row: position)
    }
}

/// One row of a ``PostgresResult``.
public struct PostgresRow: Sendable {
    let result: PostgresResult
    let row: Int

    /// Decodes the column at `index` (0-based).
    /// - Throws: ``PostgresError`` `.decoding` naming the column when the value does not fit `type`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at index: Int) throws -> T {
        guard index >= 0, index < result.columns.count else {
            throw PostgresError(.decoding, "column index \(index) is out of range (the row has \(result.columns.count) columns)")
        }
        let column = result.columns[index]
        let cell = result.cells[row * result.columns.count + index]
        if cell.length < 0 { return try T.postgresNull(column: column.name) }
        let start = Int(cell.offset)
        return try T(postgresCell: PostgresCell(bytes: result.storage[start..<start + Int(cell.length)], type: column.type, columnName: column.name))
    }

    /// Decodes the column named `name`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, column name: String) throws -> T {
        guard let index = result.columnIndex(named: name) else {
            throw PostgresError(.decoding, "no column named '\(name)' in the result (columns: \(result.columns.map(\.name).joined(separator: ", ")))")
        }
        return try decode(type, at: index)
    }

    /// Whether the column at `index` is NULL.
    public func isNull(at index: Int) -> Bool {
        result.cells[row * result.columns.count + index].length < 0
    }

    /// The number of columns.
    public var columnCount: Int { result.columns.count }
}
