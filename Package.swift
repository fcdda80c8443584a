// swift-tools-version:6.2
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "AutomationHub",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "HubCore", targets: ["HubCore"]),
        .library(name: "HubPostgres", targets: ["HubPostgres"]),
        .library(name: "HubRedis", targets: ["HubRedis"]),
        .library(name: "HubTestSupport", targets: ["HubTestSupport"]),
        // In-memory stand-ins for testing a service that uses HubCore (InMemoryHub).
        .library(name: "HubTesting", targets: ["HubTesting"]),
        .executable(name: "hubctl", targets: ["HubCLI"]),
        .executable(name: "hub-worker", targets: ["HubWorker"]),
        .executable(name: "hub-bench", targets: ["HubBench"]),
        .executable(name: "hub-sync", targets: ["HubSync"]),
        .executable(name: "hub-server", targets: ["HubServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // `swift package generate-documentation --target HubCore` (the DocC catalog in Sources/HubCore/HubCore.docc).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // C shims: the only places that see libpq and hiredis headers.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CHiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),

        // fork/exec of render processes with a parent-death signal (Swift cannot run code between
        // fork and exec).
        .target(name: "CHubProcess"),

        // Shared plumbing for the drivers: thread-backed serial executors, socket polling.
        .target(name: "HubDriverSupport", swiftSettings: upcoming),

        // Drivers: Swift clients on the C libraries. No C type escapes their public API.
        .target(
            name: "HubPostgres",
            dependencies: ["CLibPQ", "HubDriverSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: upcoming
        ),
        .target(
            name: "HubRedis",
            dependencies: ["CHiredis", "HubDriverSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: upcoming
        ),

        // The library every executable and other Swift service links.
        .target(
            name: "HubCore",
            dependencies: [
                "HubPostgres", "HubRedis", "HubDriverSupport", "CHubProcess",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),

        // What every executable shares: global options, the error-to-exit-status runner, tables.
        .target(
            name: "HubCommandSupport",
            dependencies: [
                "HubCore", "HubPostgres", "HubRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),

        // Executables: argument parsing and wiring only.
        .executableTarget(
            name: "HubCLI",
            dependencies: [
                "HubCore", "HubPostgres", "HubRedis", "HubCommandSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "HubWorker",
            dependencies: [
                "HubCore", "HubPostgres", "HubRedis", "HubCommandSupport", "HubDriverSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "HubBench",
            dependencies: [
                "HubCore", "CLibPQ", "CHiredis", "HubCommandSupport", "HubServerCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),

        // hub-server: the HTTP API, WebSocket feed and dashboard as a library (tests start it
        // in-process) and a thin executable.
        .target(
            name: "HubServerCore",
            dependencies: [
                "HubCore", "HubPostgres", "HubRedis", "HubDriverSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "HubServer",
            dependencies: [
                "HubCore", "HubServerCore", "HubCommandSupport", "HubDriverSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),

        .executableTarget(
            name: "HubSync",
            dependencies: [
                "HubCore", "HubPostgres", "HubRedis", "HubCommandSupport", "HubDriverSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),

        // Test helpers: local services, scratch databases, waiting helpers.
        .target(name: "HubTestSupport", dependencies: ["HubPostgres"], swiftSettings: upcoming),
        .target(name: "HubTesting", dependencies: ["HubCore"], swiftSettings: upcoming),

        .testTarget(name: "HubPostgresTests", dependencies: ["HubPostgres", "HubTestSupport"], swiftSettings: upcoming),
        .testTarget(name: "HubRedisTests", dependencies: ["HubRedis", "HubTestSupport"], swiftSettings: upcoming),
        .testTarget(name: "HubCoreTests", dependencies: ["HubCore", "HubTesting", "HubTestSupport", "HubDriverSupport", .product(name: "Crypto", package: "swift-crypto"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), .product(name: "Logging", package: "swift-log")], swiftSettings: upcoming),
        .testTarget(name: "HubCLITests", dependencies: ["HubCore", "HubTestSupport"], swiftSettings: upcoming),
        .testTarget(
            name: "HubServerTests",
            dependencies: [
                "HubServerCore", "HubCore", "HubPostgres", "HubRedis", "HubTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
    ],
    swiftLanguageModes: [.v6]
)
