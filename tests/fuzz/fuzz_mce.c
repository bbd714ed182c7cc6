/* libFuzzer target: machine-check inputs that come from outside: the
 * tracefs format text, perf ring contents, Xen's /dev/mcelog records and
 * mem/ADDR/offline knob names; decoded records go through the accumulator
 * into a snapshot. The first byte picks the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/ras.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fmt61[] =
    "ID: 113\n"
    "\tfield:u64 mcgstatus;\toffset:16;\tsize:8;\tsigned:0;\n"
    "\tfield:u64 status;\toffset:24;\tsize:8;\tsigned:0;\n"
    "\tfield:u64 addr;\toffset:32;\tsize:8;\tsigned:0;\n"
    "\tfield:u32 cpu;\toffset:88;\tsize:4;\tsigned:0;\n"
    "\tfield:u8 bank;\toffset:105;\tsize:1;\tsigned:0;\n";

static void add(void *ctx, const hv_mce *m)
{
	hv_ras_add(ctx, m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hv_mce_fmt f;
	hv_ras *r;
	hv_snap *s;
	uint64_t lost = 0, bad = 0, page;
	static uint8_t ring[4096];

	if (!size)
		return 0;
	r = hv_ras_new();
	s = hv_snap_new();
	if (!r || !s)
		goto out;
	switch (data[0] % 4) {
	case 0: { /* format text, then a ring with that layout */
		char *t = malloc(size);
		if (!t)
			goto out;
		memcpy(t, data + 1, size - 1);
		t[size - 1] = '\0';
		if (!hv_mce_fmt_parse(t, &f, NULL))
			(void)hv_mce_ring_drain(&f, (const uint8_t *)t, 1, 0, 0,
			                        add, r, &lost, &bad);
		free(t);
		break;
	}
	case 1: { /* a ring holding data, tail anywhere */
		size_t n = size - 1 < sizeof(ring) ? size - 1 : sizeof(ring);
		uint64_t tail = size > 2 ? data[1] * 16u : 0;
		if (hv_mce_fmt_parse(fmt61, &f, NULL))
			abort();
		memset(ring, 0, sizeof(ring));
		for (size_t i = 0; i < n; i++)
			ring[(tail + i) % sizeof(ring)] = data[1 + i];
		(void)hv_mce_ring_drain(&f, ring, sizeof(ring), tail, tail + n,
		                        add, r, &lost, &bad);
		break;
	}
	case 2: /* Xen records, record length from the second byte */
		(void)hv_xen_mce_decode(data + 1, size - 1,
		                        size > 1 ? data[1] + 64u : 88, 1, add,
		                        r);
		break;
	default: {
		char k[64];
		size_t n = size - 1 < sizeof(k) - 1 ? size - 1 : sizeof(k) - 1;
		memcpy(k, data + 1, n);
		k[n] = '\0';
		if (!hv_ras_mem_knob(k, &page, NULL) && (page & 0xfff))
			abort(); /* always a page address */
		break;
	}
	}
	if (hv_snap_pcpus(s, 8))
		(void)hv_ras_fill(r, s, NULL);
out:
	hv_snap_unref(s);
	hv_ras_free(r);
	return 0;
}
