// swift-tools-version:6.2
import Foundation
import PackageDescription

// libFuzzer targets, one executable each, built by scripts/fuzz.sh with the fuzzer and address
// sanitizers into .build-fuzz. A package of its own, so the main build and its tests never pay
// for them.

// The root package, by path: SwiftPM names a path dependency after its directory.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let jpkid = root.lastPathComponent

func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzSupport"] + dependencies)
}

let targets: [Target] = [
    .target(name: "CFuzzDriver"),
    .target(name: "FuzzSupport", dependencies: ["CFuzzDriver"]),
    fuzzTarget("apdu", [.product(name: "ISO7816", package: jpkid)]),
    fuzzTarget(
        "card",
        [
            .product(name: "MyNumberCard", package: jpkid), .product(name: "ISO7816", package: jpkid),
            .product(name: "ErrorCodes", package: jpkid),
        ]),
    fuzzTarget(
        "certificate",
        [.product(name: "MyNumberCard", package: jpkid), .product(name: "JapaneseCalendar", package: jpkid)]),
    fuzzTarget("pin", [.product(name: "MyNumberCard", package: jpkid)]),
    fuzzTarget("genuine", [.product(name: "MyNumberCard", package: jpkid)]),
    fuzzTarget(
        "http",
        [
            .product(name: "JPKIDaemon", package: jpkid),
            .product(name: "HTTPServing", package: jpkid),
            .product(name: "JPKIDaemonSimulation", package: jpkid),
            .product(name: "JPKIAPI", package: jpkid),
            .product(name: "CardSimulator", package: jpkid),
            .product(name: "MyNumberCard", package: jpkid),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    fuzzTarget(
        "vpcd",
        [.product(name: "CardSimulator", package: jpkid), .product(name: "ISO7816", package: jpkid)]),
    fuzzTarget("tlv", [.product(name: "ISO7816", package: jpkid)]),
]

let package = Package(
    name: "jpkid-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: targets,
    swiftLanguageModes: [.v6]
)
