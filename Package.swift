// swift-tools-version:6.0
import PackageDescription

// Compile-time log limit: DDHCPD_LOG_LIMIT=0..4 (FATAL..DEBUG) removes every log call above it
// from the binary. Default: keep all levels.
let logLimit = Context.environment["DDHCPD_LOG_LIMIT"] ?? "4"
let logDefines: [SwiftSetting] = [.define("DDHCPD_LOG_LIMIT_\(logLimit)")]

let package = Package(
    name: "ddhcpd",
    products: [
        .executable(name: "ddhcpd", targets: ["ddhcpd"]),
    ],
    targets: [
        // Pure protocol logic: no I/O, no Foundation, Embedded Swift subset.
        .target(name: "DDHCPCore", swiftSettings: logDefines),
        .executableTarget(name: "ddhcpd", dependencies: ["DDHCPCore"], swiftSettings: logDefines),
        .testTarget(name: "DDHCPCoreTests", dependencies: ["DDHCPCore"]),
    ]
)
