// PROVISIONAL until the core exposes the control protocol's framing: when is a request read
// from the control socket complete (PROTOCOL.md §9.1 length rules)?

enum ControlFraming {
    static func isComplete(_ request: [UInt8]) -> Bool {
        guard let command = request.first else { return false }
        switch command {
        case 3: return request.count >= 3 && request.count >= 3 + Int(request[2])  // set option
        case 4, 5: return request.count >= 2  // remove option, set log level
        default: return true  // one-byte commands; unknown ones are answered at once
        }
    }
}
