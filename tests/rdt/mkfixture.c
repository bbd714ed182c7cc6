/* SPDX-License-Identifier: MIT */
/* Build a resctrl fixture host for the CLI tests:
 *   rdt_mkfixture intel|amd|cdp DIR [PID NTHREADS]...
 * DIR gets sys/ and proc/ (export HVKIT_SYSFS=DIR/sys HVKIT_PROCFS=DIR/proc). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdt_fixture.h"

int main(int argc, char **argv)
{
	hvt_host h;
	int r;

	if (argc < 3 || (argc - 3) % 2) {
		fprintf(stderr, "usage: %s intel|amd|cdp DIR [PID N]...\n",
		        argv[0]);
		return 2;
	}
	memset(&h, 0, sizeof(h));
	snprintf(h.root, sizeof(h.root), "%s", argv[2]);
	snprintf(h.sys, sizeof(h.sys), "%s/sys", argv[2]);
	snprintf(h.proc, sizeof(h.proc), "%s/proc", argv[2]);
	snprintf(h.dev, sizeof(h.dev), "%s/dev", argv[2]);
	snprintf(h.run, sizeof(h.run), "%s/run", argv[2]);
	if (hvt_mkdir(h.root, "sys") || hvt_mkdir(h.root, "proc") ||
	    hvt_mkdir(h.root, "run"))
		return 1;
	r = !strcmp(argv[1], "amd")   ? rdtf_amd(&h)
	    : !strcmp(argv[1], "cdp") ? rdtf_intel(&h, 1)
	                              : rdtf_intel(&h, 0);
	for (int i = 3; !r && i + 1 < argc; i += 2)
		r = rdtf_proc(&h, atoi(argv[i]), atoi(argv[i + 1]));
	return r ? 1 : 0;
}
