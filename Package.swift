// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "jpkid",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "jpki-sim", targets: ["jpki-sim"]),
        .library(name: "ISO7816", targets: ["ISO7816"]),
        .library(name: "MyNumberCard", targets: ["MyNumberCard"]),
        .library(name: "CardSimulator", targets: ["CardSimulator"]),
        .library(name: "PCSC", targets: ["PCSC"]),
        // For the fuzz package in Fuzz/, which builds with the sanitizers apart from the main build.
        .library(name: "JPKIAPI", targets: ["JPKIAPI"]),
        .library(name: "JPKIDaemon", targets: ["JPKIDaemon"]),
        .library(name: "HTTPServing", targets: ["HTTPServing"]),
        .library(name: "JPKIDaemonSimulation", targets: ["JPKIDaemonSimulation"]),
        .library(name: "ErrorCodes", targets: ["ErrorCodes"]),
        .library(name: "JapaneseCalendar", targets: ["JapaneseCalendar"]),
        .executable(name: "jpkid", targets: ["jpkid"]),
        .executable(name: "jpkictl", targets: ["jpkictl"]),
        .executable(name: "jpki-verify", targets: ["jpki-verify"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // The one set of stable error codes, shared by every layer, the API and the clients.
        .target(name: "ErrorCodes"),
        // Japan-time calendar dates, the certificate renewal rule and the one Japanese-era table:
        // a leaf, so that jpkictl (which links no card or X.509 code) shares it with the card layer.
        .target(name: "JapaneseCalendar"),
        // Secret bytes (a PIN) and the one way they are overwritten: a leaf with no NIO, so that
        // ISO7816 and PCSC use it too.
        .target(name: "Secrets"),
        // "First answer wins" for a continuation raced by work, a timer and a cancellation: a
        // leaf, for the PC/SC queue, the daemon and the client alike.
        .target(name: "OneShot"),
        // Layer 1: ISO 7816-4 APDUs and the abstract card transport.
        .target(name: "ISO7816", dependencies: ["ErrorCodes", "Secrets"]),

        // Layer 2: the card applications (JPKI, card text, JUKI) and certificates.
        .target(
            name: "MyNumberCard",
            dependencies: [
                "ErrorCodes", "ISO7816", "JapaneseCalendar", "Secrets",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),

        // Layer 3 (test double): a simulated My Number card and its vpcd link.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "CardSimulator",
            dependencies: [
                "ErrorCodes", "ISO7816", "JapaneseCalendar",
                "COpenSSL",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Layer 3: the PC/SC transport and reader monitor over pcsc-lite.
        .systemLibrary(
            name: "CPCSCLite",
            pkgConfig: "libpcsclite",
            providers: [.apt(["libpcsclite-dev"])]
        ),
        .target(name: "PCSC", dependencies: ["ErrorCodes", "ISO7816", "OneShot", "Secrets", "CPCSCLite"]),
        // prctl/setrlimit for the daemon's secrets at rest (prctl is variadic: C wraps it).
        .target(name: "CProcessHardening"),

        // Layer 4: the daemon (reader monitor, per-reader sessions, the socket API) and clients.
        .target(name: "JPKIAPI", dependencies: ["ErrorCodes"]),
        // What both HTTP servers (jpkid's socket, the staff page) share: request limits, whole
        // requests from NIO's parts with the body capped and wiped, target decoding, SSE bytes.
        .target(
            name: "HTTPServing",
            dependencies: [
                "Secrets",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "JPKIDaemon",
            dependencies: [
                "ErrorCodes", "JPKIAPI", "MyNumberCard", "PCSC", "ISO7816", "CProcessHardening", "JapaneseCalendar",
                "HTTPServing", "OneShot", "Secrets",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Test double: the daemon's card source with a simulated card in-process, for the Swift
        // tests and the fuzz targets. The installed jpkid does not link it.
        .target(name: "JPKIDaemonSimulation", dependencies: ["JPKIDaemon", "CardSimulator", "ISO7816", "PCSC"]),
        .executableTarget(
            name: "jpkid",
            dependencies: [
                "JPKIDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The HTTP client for jpkid's socket (SwiftNIO): connection, request, response, events.
        .target(
            name: "JPKIClient",
            dependencies: [
                "ErrorCodes",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The staff's language and the escaping of text for a terminal: a leaf, so that jpki-verify
        // prints its one staff sentence without linking the staff page.
        .target(name: "ConsoleText"),
        // The staff rules (the diagnosis in words) and the staff page's server (`jpkictl ui`).
        .target(
            name: "JPKIStaff",
            dependencies: [
                "ConsoleText", "ErrorCodes", "JPKIAPI", "JPKIClient", "HTTPServing", "Secrets",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            // The staff page, compiled into the binary as byte arrays (`PackageResources`):
            // jpkictl ships no resource bundle, and needs no Bundle (full Foundation, ICU) to read it.
            resources: [
                .embedInCode("StaffUI/Page/index.html"), .embedInCode("StaffUI/Page/app.js"),
                .embedInCode("StaffUI/Page/app.css"), .embedInCode("StaffUI/Page/genuine.js"),
                .embedInCode("StaffUI/Page/genuine.css"),
            ]
        ),
        .executableTarget(
            name: "jpkictl",
            dependencies: [
                "ErrorCodes", "ISO7816", "JPKIClient", "JPKIStaff", "JPKIAPI", "JapaneseCalendar",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Offline signature and chain checks: a tool apart, so that jpkictl links no X.509 code.
        .executableTarget(
            name: "jpki-verify",
            dependencies: [
                "ConsoleText", "MyNumberCard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "jpki-bench",
            dependencies: [
                "CardSimulator", "MyNumberCard", "PCSC", "JPKIAPI", "JPKIDaemon", "JPKIDaemonSimulation",
                "CProcessHardening",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "jpki-sim",
            dependencies: [
                "CardSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "ISO7816Tests", dependencies: ["ErrorCodes", "ISO7816"]),
        .testTarget(name: "JapaneseCalendarTests", dependencies: ["JapaneseCalendar"]),
        .testTarget(name: "SecretsTests", dependencies: ["Secrets"]),
        .testTarget(name: "OneShotTests", dependencies: ["OneShot"]),
        .testTarget(
            name: "HTTPServingTests",
            dependencies: [
                "HTTPServing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "JPKIClientTests",
            dependencies: [
                "ErrorCodes", "JPKIClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "JPKIStaffTests",
            dependencies: [
                "ErrorCodes", "JPKIStaff", "JPKIClient", "JPKIAPI", "HTTPServing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "JPKIDaemonTests",
            dependencies: [
                "ErrorCodes", "JPKIDaemon", "JPKIDaemonSimulation", "JPKIAPI", "JPKIClient", "JPKIStaff",
                "MyNumberCard", "JapaneseCalendar",
                "CardSimulator",
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PCSCTests",
            dependencies: ["ErrorCodes", "PCSC", "CPCSCLite", "MyNumberCard", "CardSimulator", "ISO7816"]
        ),
        .testTarget(
            name: "MyNumberCardTests",
            dependencies: ["ErrorCodes", "MyNumberCard", "CardSimulator", "ISO7816", "JapaneseCalendar"]
        ),
        .testTarget(
            name: "CardSimulatorTests",
            dependencies: [
                "CardSimulator", "MyNumberCard", "ISO7816", "JapaneseCalendar",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
