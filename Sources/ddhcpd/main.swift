// Placeholder entry point until the daemon shell lands.
import DDHCPCore
print("ddhcpd")
