// swift-tools-version:6.2
// A service built on HubCore, as another team would write it: it depends on the hub by path.
import PackageDescription

let package = Package(
    name: "PremiumHands",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The hub's checkout (this example lives inside it; yours would name its own path or URL).
        .package(name: "AutomationHub", path: "../.."),
    ],
    targets: [
        // The service's logic, written against HubAPI so it can be tested without servers.
        .target(name: "PremiumHandsKit", dependencies: [.product(name: "HubCore", package: "AutomationHub")]),
        // `premium-hands`: lists the latest premium hands, renders one, follows it to the end.
        .executableTarget(name: "PremiumHands", dependencies: [
            "PremiumHandsKit", .product(name: "HubCore", package: "AutomationHub"),
        ]),
        .testTarget(name: "PremiumHandsKitTests", dependencies: [
            "PremiumHandsKit",
            .product(name: "HubCore", package: "AutomationHub"),
            .product(name: "HubTesting", package: "AutomationHub"),
        ]),
    ]
)
