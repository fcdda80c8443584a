import CHiredis
import CLibPQ
import Foundation
import HubRedis

/// The baseline: libpq used directly, the way a C program would (one connection, one thread).
final class RawPostgres: @unchecked Sendable {
    private let connection: OpaquePointer

    init(url: String) throws {
        // libpq parses the URL itself here (expand_dbname = 1): this is the C baseline, not the hub client.
        let keywords: [UnsafePointer<CChar>?] = [strdup("dbname").map { UnsafePointer($0) }, nil]
        let values: [UnsafePointer<CChar>?] = [strdup(url).map { UnsafePointer($0) }, nil]
        guard let c = PQconnectdbParams(keywords, values, 1), PQstatus(c) == CONNECTION_OK else {
            throw BenchError("raw libpq could not connect")
        }
        connection = c
        // Prepared once, like the Swift client does: the fairest C loop.
        let prepared = PQprepare(c, "select_one", "SELECT 1", 0, nil)
        defer { PQclear(prepared) }
        guard PQresultStatus(prepared) == PGRES_COMMAND_OK else { throw BenchError("raw PQprepare failed") }
    }

    deinit { PQfinish(connection) }

    func selectOne() throws {
        let result = PQexecPrepared(connection, "select_one", 0, nil, nil, nil, 0)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_TUPLES_OK, let value = PQgetvalue(result, 0, 0), value.pointee == 0x31 else {
            throw BenchError("raw SELECT 1 failed")
        }
    }
}

/// The baseline: hiredis used directly with `redisCommandArgv`.
final class RawRedis: @unchecked Sendable {
    private let context: UnsafeMutablePointer<redisContext>

    init(configuration: RedisConfiguration) throws {
        guard case .tcp(let host, let port) = configuration.endpoint else { throw BenchError("the raw Redis baseline needs a TCP URL") }
        guard let c = redisConnect(host, Int32(port)), c.pointee.err == 0 else { throw BenchError("raw hiredis could not connect") }
        context = c
        if let password = configuration.password {
            try command(["AUTH", password])
        }
        if configuration.database != 0 { try command(["SELECT", String(configuration.database)]) }
    }

    deinit { redisFree(context) }

    func ping() throws {
        let reply = "PING".withCString { p -> UnsafeMutableRawPointer? in
            var argv: [UnsafePointer<CChar>?] = [p]
            var lengths: [Int] = [4]
            return redisCommandArgv(context, 1, &argv, &lengths)
        }
        guard let reply else { throw BenchError("raw PING failed") }
        let r = reply.assumingMemoryBound(to: redisReply.self)
        let ok = r.pointee.type == REDIS_REPLY_STATUS
        freeReplyObject(reply)
        guard ok else { throw BenchError("raw PING got an unexpected reply") }
    }

    private func command(_ args: [String]) throws {
        let copies = args.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var argv: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
        var lengths = args.map { $0.utf8.count }
        guard let reply = redisCommandArgv(context, Int32(args.count), &argv, &lengths) else { throw BenchError("raw command failed") }
        let r = reply.assumingMemoryBound(to: redisReply.self)
        let failed = r.pointee.type == REDIS_REPLY_ERROR
        freeReplyObject(reply)
        if failed { throw BenchError("raw \(args[0]) was refused") }
    }
}
