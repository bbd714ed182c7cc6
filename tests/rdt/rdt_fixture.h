/* SPDX-License-Identifier: MIT */
/* resctrl fixture trees in the kernel's exact formats (resctrl.rst):
 * zero-padded masks, space-padded MB values, one mon_L3_XX per L3 domain. */
#ifndef RDT_FIXTURE_H
#define RDT_FIXTURE_H

#include "hvtest.h"

/* Intel, 2 sockets: L3 cbm_mask 7ff, min_cbm_bits 1, 16 CLOSIDs, MB 10/10
 * linear, 176 RMIDs, three mon_features, cdp = 1 for L3CODE/L3DATA. */
int rdtf_intel(const hvt_host *h, int cdp);
/* AMD, 4 CCDs: cbm ffff, min_cbm_bits 0, 16 CLOSIDs, MB 1/8 GB/s (2048),
 * 64 RMIDs, mbm_assign_mode. */
int rdtf_amd(const hvt_host *h);
/* A process with threads pid, pid*100+1, .. pid*100+n-1 under proc/. */
int rdtf_proc(const hvt_host *h, int pid, int n);
/* Write a group's event file (group "" = root; "mon_groups/x" ...). */
int rdtf_event(const hvt_host *h, const char *group, unsigned dom,
               const char *event, const char *text);

#endif
