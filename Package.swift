// swift-tools-version:6.1
import PackageDescription

// Upcoming features that keep C interop contained: every C module is imported
// `internal` in exactly one Interop/ file, and members must come from an
// explicit import.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "credvend",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "credvend", targets: ["CredVendCLI"]),
        .library(name: "CredVend", targets: ["CredVend"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CMicroHTTPD", pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(
            name: "CLMDB", pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(
            name: "CredVend",
            dependencies: [
                "CMicroHTTPD", "CLMDB", "COpenSSL", "CCurl",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .executableTarget(
            name: "CredVendCLI",
            dependencies: [
                "CredVend",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CredVendTests",
            dependencies: ["CredVend"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings),
    ]
)
