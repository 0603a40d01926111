// When is a request read from the control socket complete? The protocol has no framing
// (docs/protocol.md#control-protocol): the length follows from the command byte. C read once and
// lost commands split over two segments (docs/decisions.md D-31); the shell collects bytes until
// this says the command is whole, the client closes its side, or the connection's deadline passes.
// The core then validates the request (and logs malformed ones).

import DDHCPCore

enum ControlFraming {
    static func isComplete(_ request: UnsafeRawBufferPointer) -> Bool {
        guard let first = request.first else { return false }
        switch ControlCommand(rawValue: first) {
        case .setOption: return request.count >= 3 && request.count >= 3 + Int(request[2])  // code, len, bytes
        case .removeOption, .setLogLevel: return request.count >= 2  // one argument byte
        default: return true  // one-byte commands and unknown ones
        }
    }
}
