/* Stand-in for the ddhcpd binary, used by Tests/ci.d/50-openwrt-package.sh only when no Swift
 * binary can be had: the packaging tests need some static ELF to pack. It is not ddhcpd. */
#include <stdio.h>

int main(void)
{
	fputs("ddhcpd packaging stand-in: not the daemon\n", stderr);
	return 1;
}
