/* SPDX-License-Identifier: MIT */
/* Corrected errors: EDAC memory controllers (devices/system/edac/mc/mcN/
 * ce_count) give the host total. The kernel has no per-CPU corrected-error
 * count in sysfs (machinecheckN/ holds only bank controls; per-bank counts
 * reach user space through the mce tracepoint or /dev/mcelog), so
 * hv_pcpu.ce_count is marked unsupported. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sysio.h"
#include "plat_int.h"

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

int plat_edac_discover(hv_plat *p, hv_err *err)
{
	char path[PATH_MAX];
	struct dirent *e;
	size_t cap = 0;
	DIR *d;
	int rc = 0;

	free(p->mc);
	p->mc = NULL;
	p->nmc = 0;
	if (plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	              "devices/system/edac/mc"))
		return hv_err_set(err, ENAMETOOLONG, "edac path too long");
	d = opendir(path);
	if (!d)
		return 0; /* no EDAC driver: total is unsupported */
	while ((e = readdir(d))) {
		char *end;
		unsigned long n;
		if (strncmp(e->d_name, "mc", 2) || e->d_name[2] < '0' ||
		    e->d_name[2] > '9')
			continue;
		n = strtoul(e->d_name + 2, &end, 10);
		if (*end || n > UINT32_MAX)
			continue;
		if (p->nmc == cap) {
			size_t nc = cap ? cap * 2 : 4;
			uint32_t *nm = realloc(p->mc, nc * sizeof(*nm));
			if (!nm) {
				rc = hv_err_set(err, ENOMEM, "out of memory");
				goto out;
			}
			p->mc = nm;
			cap = nc;
		}
		p->mc[p->nmc++] = (uint32_t)n;
	}
	if (p->nmc > 1)
		qsort(p->mc, p->nmc, sizeof(*p->mc), u32_cmp);
out:
	closedir(d);
	return rc;
}

void plat_edac_sample(hv_plat *p, hv_host *h)
{
	char path[PATH_MAX];
	uint64_t sum = 0;

	if (!p->nmc) {
		h->ce_total = hv_na(HV_NA_UNSUPPORTED);
		return;
	}
	for (uint32_t i = 0; i < p->nmc; i++) {
		hv_u64 v = hv_na(HV_NA_ERROR);
		if (!plat_path(p, HV_ROOT_SYS, path, sizeof(path),
		               "devices/system/edac/mc/mc%u/ce_count",
		               p->mc[i]))
			v = plat_u64(path, HV_NA_UNAVAILABLE);
		if (!hv_ok(v)) {
			/* A partial sum would look like a drop later. */
			h->ce_total = v;
			return;
		}
		sum += v.v;
	}
	h->ce_total = hv_val(sum);
}
