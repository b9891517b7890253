// swift-tools-version:6.1
import PackageDescription

// The libFuzzer targets of credvend (fuzz/README.md), kept out of the root package
// like load-tests/: one executable per target, each built with libFuzzer and
// AddressSanitizer. `scripts/fuzz.sh` (`make fuzz`) builds them with the whole
// dependency graph instrumented and runs each for a bounded time.
let fuzzer: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address", "-parse-as-library"])]
let fuzzerLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]

let names = ["FuzzJSON", "FuzzJWT", "FuzzSTSXML", "FuzzRoleRecord", "FuzzCredentialFiles", "FuzzHandler"]

let package = Package(
    name: "credvend-fuzz",
    platforms: [.macOS(.v15)],
    products: names.map { .executable(name: $0, targets: [$0]) },
    dependencies: [
        .package(name: "credvend", path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [
                .product(name: "CredVend", package: "credvend"),
                .product(name: "CredVendTesting", package: "credvend"),
                .product(name: "Logging", package: "swift-log"),
            ]
        )
    ]
        + names.map { name in
            .executableTarget(
                name: name,
                dependencies: [
                    "FuzzSupport",
                    .product(name: "CredVend", package: "credvend"),
                    .product(name: "CredVendTesting", package: "credvend"),
                    .product(name: "Logging", package: "swift-log"),
                ],
                swiftSettings: fuzzer,
                linkerSettings: fuzzerLink
            )
        }
)
