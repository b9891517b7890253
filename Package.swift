// swift-tools-version:6.2
import PackageDescription

// The target graph is the architecture:
//   C<Lib>            one system library each, nothing but a modulemap and shim.h
//   CredVendCrypto    OpenSSL behind a small facade (digests, HMAC, JWK keys, randomness)
//   CredVendSync      the lock every target uses (pthread, so ThreadSanitizer sees it)
//   CredVendSystem    the POSIX calls (secret files, append-only logs, listening sockets, stderr, thread-locals, epoll)
//   CredVendCore      pure: JWT, SigV4, STS messages, role records, HTTP values, policies
//   CredVendStore     LMDB and the role store on it
//   CredVendHTTP      libmicrohttpd with GnuTLS (server transport, HTTPS) and libcurl (HTTP client)
//   CredVend          the services and their runtimes
//   CredVendTesting   fakes and fixtures for in-process tests
//   CredVendCLI       argument parsing only
// Only the interop targets may use unsafe constructs: every other target is
// compiled with strict memory safety, so the compiler refuses a leak.
let common: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]
let safe: [SwiftSetting] = common + [.strictMemorySafety()]

let package = Package(
    name: "credvend",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "credvend", targets: ["CredVendCLI"]),
        // The load tests drive the services in-process, so the library exports every layer.
        .library(
            name: "CredVend",
            targets: [
                "CredVend", "CredVendCore", "CredVendCrypto", "CredVendStore", "CredVendHTTP", "CredVendSystem",
                "CredVendSync",
            ]
        ),
        .library(name: "CredVendTesting", targets: ["CredVendTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CMicroHTTPD",
            pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]
        ),
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CGnuTLS",
            pkgConfig: "gnutls",
            providers: [.apt(["libgnutls28-dev"])]
        ),
        // epoll and eventfd: in the C library, but not in Swift's Glibc module.
        .systemLibrary(name: "CEventPoll"),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),

        // Interop: the only targets that touch C or unsafe pointers.
        .target(name: "CredVendSync", swiftSettings: common),
        .target(
            name: "CredVendCrypto",
            dependencies: ["COpenSSL", "CredVendSystem", "CredVendSync"],
            swiftSettings: common
        ),
        .target(name: "CredVendSystem", dependencies: ["CEventPoll", "CredVendSync"], swiftSettings: common),
        .target(
            name: "CredVendStore",
            dependencies: ["CLMDB", "CredVendCore", "CredVendCrypto", "CredVendSystem", "CredVendSync"],
            swiftSettings: common
        ),
        .target(
            name: "CredVendHTTP",
            dependencies: ["CMicroHTTPD", "CGnuTLS", "CCurl", "CredVendCore", "CredVendSystem", "CredVendSync"],
            swiftSettings: common
        ),

        // Pure: no C, no I/O; time and randomness come in as parameters.
        .target(name: "CredVendCore", dependencies: ["CredVendCrypto", "CredVendSync"], swiftSettings: safe),

        .target(
            name: "CredVend",
            dependencies: [
                "CredVendCore", "CredVendCrypto", "CredVendStore", "CredVendHTTP", "CredVendSystem", "CredVendSync",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: safe
        ),
        .target(
            name: "CredVendTesting",
            dependencies: [
                "CredVend", "CredVendCore", "CredVendCrypto", "CredVendSync",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: safe
        ),
        .executableTarget(
            name: "CredVendCLI",
            dependencies: [
                "CredVend", "CredVendCore", "CredVendCrypto", "CredVendSystem", "CredVendSync",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: safe
        ),
        .testTarget(
            name: "CredVendTests",
            dependencies: [
                "CredVend", "CredVendCore", "CredVendCrypto", "CredVendStore", "CredVendHTTP", "CredVendSystem",
                "CredVendSync", "CredVendTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: common
        ),
    ]
)
