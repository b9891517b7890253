// swift-tools-version:6.1
import PackageDescription

// The load-test tooling of credvend (load-tests/README.md), kept out of the root package:
// `credvend-load` is the HTTP load driver (closed and open loop, HDR
// histograms), the in-process micro benchmarks and the instant STS stub.
// `load-tests/run` builds it in release mode together with `credvend` itself.
let package = Package(
    name: "credvend-load-tests",
    platforms: [.macOS(.v15)],
    products: [.executable(name: "credvend-load", targets: ["LoadTool"])],
    dependencies: [
        .package(name: "credvend", path: ".."),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
    ],
    targets: [
        .target(name: "CEpoll"),
        .executableTarget(
            name: "LoadTool",
            dependencies: [
                "CEpoll",
                .product(name: "CredVend", package: "credvend"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: [.unsafeFlags(["-Ounchecked"])]
        ),
    ]
)
