// swift-tools-version:6.0
import PackageDescription

// Compile-time log limit: DDHCPD_LOG_LIMIT=0..4 (FATAL..DEBUG) removes every log call above it
// from the binary. Default: keep all levels.
let logLimit = Context.environment["DDHCPD_LOG_LIMIT"] ?? "4"
let logDefines: [SwiftSetting] = [.define("DDHCPD_LOG_LIMIT_\(logLimit)")]

// `ddhcpd -V` / `ddhcpdctl -V` print this commit, as C's `Revision: <sha>`.
let revision = Context.gitInformation?.currentCommit ?? ""

let package = Package(
    name: "ddhcpd",
    products: [
        .executable(name: "ddhcpd", targets: ["ddhcpd"]),
    ],
    targets: [
        // Pure protocol logic: no I/O, no Foundation, Embedded Swift subset. `Extern`: the
        // block table's calloc (docs/decisions.md D-222).
        .target(name: "DDHCPCore", swiftSettings: logDefines + [.enableExperimentalFeature("Extern")]),
        // The whole OS surface of the daemon (include/ddhcp_system.h): sockets, epoll, signals,
        // hooks, getopt, syslog, and the C `main` that calls the Swift entry point.
        .target(name: "DDHCPSystem", cSettings: [.define("DDHCPD_REVISION", to: "\"\(revision)\"")]),
        // The daemon shell and ddhcpdctl (one binary). `-parse-as-library`: the entry point is
        // `@_cdecl("ddhcpd_main")`, which SwiftPM's linker maps to `main` (module name + _main);
        // other build routes go through the C main in DDHCPSystem.
        .executableTarget(
            name: "ddhcpd", dependencies: ["DDHCPCore", "DDHCPSystem"],
            swiftSettings: logDefines + [.unsafeFlags(["-parse-as-library"])]),
        .testTarget(name: "DDHCPCoreTests", dependencies: ["DDHCPCore"]),
    ]
)
