// The one libFuzzer entry point: DDHCP_FUZZ_TARGET (dhcp, mesh, control, options, node) picks
// the target. One binary for all targets: the core is compiled once (CI time).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

enum FuzzTarget { case dhcp, mesh, control, options, node }

nonisolated(unsafe) var selectedTarget = FuzzTarget.node

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    guard let raw = getenv("DDHCP_FUZZ_TARGET") else {
        fputs("set DDHCP_FUZZ_TARGET to dhcp, mesh, control, options or node\n", stderr)
        exit(2)
    }
    switch String(cString: raw) {
    case "dhcp": selectedTarget = .dhcp
    case "mesh": selectedTarget = .mesh
    case "control": selectedTarget = .control
    case "options": selectedTarget = .options
    case "node": selectedTarget = .node
    default:
        fputs("unknown DDHCP_FUZZ_TARGET\n", stderr)
        exit(2)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: size == 0 ? nil : data, count: size)
    switch selectedTarget {
    case .dhcp: fuzzDHCP(input)
    case .mesh: fuzzMesh(input)
    case .control: fuzzControl(input)
    case .options: fuzzOptions(input)
    case .node: fuzzNode(input)
    }
    return 0
}
