/* SPDX-License-Identifier: MIT */
/* Hardware-error inputs: the mce:mce_record format file and raw records
 * (fixtures/mce: a 6.1 format captured from the test guest's kernel and a
 * shifted layout; records written by gen-records.py, independently of the
 * parser), the perf ring walk with a wrap, the accumulator, the platform
 * layer on a fixture tree (tracefs under sysfs or debugfs, kpageflags,
 * soft_offline_page) and EDAC per-DIMM/csrow counts that are malformed,
 * wrapped, reset and vanished. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hv/backend.h"
#include "hv/platform.h"
#include "hv/ras.h"
#include "hv/snapjson.h"
#include "hvtest.h"
#include "plat_fx.h"

static char *fixture(const char *name, size_t *len)
{
	const char *src = getenv("HVKIT_SRC");
	char path[4096];
	char *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/tests/platform/fixtures/mce/%s",
	         src ? src : ".", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static void fmt_load(const char *name, hv_mce_fmt *f)
{
	char *t = fixture(name, NULL);
	hv_err err = {0};
	if (hv_mce_fmt_parse(t, f, &err))
		fail_msg("%s: %s", name, err.msg);
	free(t);
}

static void test_format_61(void **state)
{
	hv_mce_fmt f;
	(void)state;
	fmt_load("format-6.1", &f);
	assert_int_equal(f.id, 113);
	assert_int_equal(f.status.off, 24);
	assert_int_equal(f.status.size, 8);
	assert_int_equal(f.addr.off, 32);
	assert_int_equal(f.walltime.off, 80);
	assert_int_equal(f.cpu.off, 88);
	assert_int_equal(f.cpu.size, 4);
	assert_int_equal(f.bank.off, 105);
	assert_int_equal(f.bank.size, 1);
	assert_int_equal(f.min_len, 106);
}

static void test_format_shifted(void **state)
{
	hv_mce_fmt f;
	(void)state;
	fmt_load("format-shifted", &f);
	assert_int_equal(f.id, 1450);
	assert_int_equal(f.walltime.off, 88);
	assert_int_equal(f.cpu.off, 96);
	assert_int_equal(f.bank.off, 113);
}

static void test_format_bad(void **state)
{
	hv_mce_fmt f;
	hv_err err = {0};
	(void)state;
	/* no ID */
	assert_int_equal(-EPROTO,
	                 hv_mce_fmt_parse("format:\n\tfield:u64 status;\t"
	                                  "offset:24;\tsize:8;\tsigned:0;\n",
	                                  &f, &err));
	/* no bank */
	assert_int_equal(
	    -EPROTO,
	    hv_mce_fmt_parse("ID: 5\n\tfield:u64 status;\toffset:24;\tsize:8;"
	                     "\tsigned:0;\n\tfield:u32 cpu;\toffset:88;\tsize:"
	                     "4;\tsigned:0;\n",
	                     &f, &err));
	assert_non_null(strstr(err.msg, "bank"));
	/* a size no scalar has */
	assert_int_equal(
	    -EPROTO,
	    hv_mce_fmt_parse("ID: 5\n\tfield:u64 status;\toffset:24;\tsize:3;"
	                     "\tsigned:0;\n",
	                     &f, &err));
	/* an array named like a field is not that field */
	assert_int_equal(
	    -EPROTO,
	    hv_mce_fmt_parse("ID: 5\n\tfield:u64 status[2];\toffset:24;\tsize:"
	                     "16;\tsigned:0;\n\tfield:u32 cpu;\toffset:88;\t"
	                     "size:4;\tsigned:0;\n\tfield:u8 bank;\toffset:92;"
	                     "\tsize:1;\tsigned:0;\n",
	                     &f, &err));
	assert_int_equal(-EPROTO, hv_mce_fmt_parse("", &f, &err));
}

typedef struct got {
	hv_mce m[16];
	int n;
} got;

static void collect(void *ctx, const hv_mce *m)
{
	got *g = ctx;
	if (g->n < 16)
		g->m[g->n++] = *m;
}

static void check_events(const got *g)
{
	assert_int_equal(g->n, 4);
	assert_int_equal(g->m[0].cpu, 2);
	assert_int_equal(g->m[0].bank, 1);
	assert_true(g->m[0].status == 0x9000000000000000ull);
	assert_int_equal(g->m[0].time_ns, 1000000000ull);
	assert_int_equal(g->m[0].walltime, 1765000000ull);
	assert_true(g->m[1].addr == 0x12345678ull);
	assert_int_equal(g->m[2].bank, 4);
	assert_int_equal(g->m[3].cpu, 1);
	assert_true(g->m[3].status & HV_MCI_UC);
	assert_true(g->m[3].addr == 0x7000);
}

/* Lay the records into a 1 KiB ring starting near its end so that records
 * wrap around, and drain it. */
static void drain_layout(const char *fmtname, const char *recname)
{
	hv_mce_fmt f;
	size_t len;
	char *rec = fixture(recname, &len);
	uint8_t ring[1024];
	uint64_t tail = 1000, lost = 0, bad = 0;
	got g = {0};

	fmt_load(fmtname, &f);
	assert_true(len <= sizeof(ring));
	for (size_t i = 0; i < len; i++)
		ring[(tail + i) % sizeof(ring)] = (uint8_t)rec[i];
	assert_int_equal(4, hv_mce_ring_drain(&f, ring, sizeof(ring), tail,
	                                      tail + len, collect, &g, &lost,
	                                      &bad));
	assert_int_equal(lost, 2);
	assert_int_equal(bad, 0);
	check_events(&g);
	free(rec);
}

static void test_drain_61(void **state)
{
	(void)state;
	drain_layout("format-6.1", "records-6.1.bin");
}

static void test_drain_shifted(void **state)
{
	(void)state;
	drain_layout("format-shifted", "records-shifted.bin");
}

/* The 6.1 records read with the shifted layout are too short: every one is
 * refused, none is miscounted. */
static void test_drain_wrong_layout(void **state)
{
	hv_mce_fmt f;
	size_t len;
	char *rec = fixture("records-6.1.bin", &len);
	uint64_t lost = 0, bad = 0;
	got g = {0};
	(void)state;

	fmt_load("format-shifted", &f);
	assert_int_equal(-EPROTO,
	                 hv_mce_ring_drain(&f, (uint8_t *)rec, 1024, 0, len,
	                                   collect, &g, &lost, &bad));
	assert_int_equal(g.n, 0);
	assert_int_equal(bad, 1);
	/* a truncated record header, a size past head */
	assert_int_equal(-EPROTO,
	                 hv_mce_ring_drain(&f, (uint8_t *)rec, 1024, 0, 6,
	                                   collect, &g, &lost, &bad));
	assert_int_equal(-EINVAL,
	                 hv_mce_ring_drain(&f, (uint8_t *)rec, 1000, 0, 8,
	                                   collect, &g, &lost, &bad));
	free(rec);
}

static void test_accumulate(void **state)
{
	hv_mce_fmt f;
	size_t len;
	char *rec = fixture("records-6.1.bin", &len);
	uint64_t lost = 0, bad = 0;
	hv_ras *r = hv_ras_new();
	hv_snap *s = hv_snap_new();
	(void)state;

	fmt_load("format-6.1", &f);
	assert_int_equal(4, hv_mce_ring_drain(&f, (uint8_t *)rec, 1024, 0, len,
	                                      (hv_mce_cb)hv_ras_add, r, &lost,
	                                      &bad));
	hv_ras_lost(r, lost);
	assert_non_null(hv_snap_pcpus(s, 4));
	assert_int_equal(0, hv_ras_fill(r, s, NULL));
	const hv_host *h = hv_snap_host(s);
	assert_int_equal(h->pcpu[2].ce_count.v, 3);
	assert_int_equal(h->pcpu[2].ue_count.v, 0);
	assert_int_equal(h->pcpu[2].last_bank, 4);
	assert_int_equal(h->pcpu[2].last_err_ns.v, 3000000000ull);
	assert_int_equal(h->pcpu[1].ue_count.v, 1);
	assert_int_equal(h->pcpu[1].ce_count.v, 0);
	/* no error yet: a true 0 count, no time, no bank */
	assert_true(hv_ok(h->pcpu[0].ce_count));
	assert_int_equal(h->pcpu[0].ce_count.v, 0);
	assert_int_equal(h->pcpu[0].last_err_ns.why, HV_NA_NOTYET);
	assert_int_equal(h->pcpu[0].last_bank, -1);
	assert_int_equal(h->nr_page, 2);
	assert_true(h->page[0].addr == 0x7000);
	assert_int_equal(h->page[0].ue, 1);
	assert_true(h->page[1].addr == 0x12345000);
	assert_int_equal(h->page[1].ce, 2);
	assert_int_equal(h->page[1].state, HV_PAGE_ONLINE);
	assert_int_equal(h->mce_lost.v, 2);
	assert_int_equal(h->page_why, HV_OK);
	hv_snap_unref(s);
	hv_ras_free(r);
	free(rec);
}

/* Recordings keep the RAS fields (pages, DIMMs, per-CPU counts). Older
 * lines without them still read (xentop_tui_replay's recordings). */
static void test_snapjson_roundtrip(void **state)
{
	hv_ras *r = hv_ras_new();
	hv_snap *s = hv_snap_new(), *back = NULL;
	hv_err err = {0};
	char *line = NULL;
	(void)state;
	hv_mce m = {.cpu = 1,
	            .bank = 3,
	            .status = 0x9c00000000000000ull,
	            .addr = 0x5040,
	            .time_ns = 9};
	hv_ras_add(r, &m);
	assert_non_null(hv_snap_pcpus(s, 2));
	assert_int_equal(0, hv_ras_fill(r, s, NULL));
	hv_host *h = hv_snap_host_mut(s);
	h->dimm = hv_snap_alloc(s, sizeof(*h->dimm));
	h->nr_dimm = 1;
	snprintf(h->dimm[0].name, sizeof(h->dimm[0].name), "mc0/dimm1");
	h->dimm[0].ce = hv_val(5);
	h->dimm[0].ue = hv_na(HV_NA_ERROR);
	assert_int_equal(0, hv_snap_seal(s, &err));
	assert_int_equal(0, hv_snapjson_write(s, &line, &err));
	if (hv_snapjson_parse(line, strlen(line), &back, &err))
		fail_msg("parse: %s", err.msg);
	const hv_host *b = hv_snap_host(back);
	assert_int_equal(b->pcpu[1].ce_count.v, 1);
	assert_int_equal(b->pcpu[1].last_bank, 3);
	assert_int_equal(b->pcpu[0].last_err_ns.why, HV_NA_NOTYET);
	assert_int_equal(b->page_why, HV_OK);
	assert_int_equal(b->nr_page, 1);
	assert_true(b->page[0].addr == 0x5000);
	assert_int_equal(b->nr_dimm, 1);
	assert_int_equal(b->dimm[0].ce.v, 5);
	assert_int_equal(b->dimm[0].ue.why, HV_NA_ERROR);
	hv_snap_unref(back);
	free(line);
	hv_snap_unref(s);
	hv_ras_free(r);
}

/* Past HV_RAS_PAGE_MAX pages the count per CPU still grows, the page list
 * stops and the note says how many were not tracked. */
static void test_page_cap(void **state)
{
	hv_ras *r = hv_ras_new();
	hv_snap *s = hv_snap_new();
	(void)state;
	for (uint64_t i = 0; i < HV_RAS_PAGE_MAX + 5; i++) {
		hv_mce m = {.cpu = 0,
		            .status = 0x9c00000000000000ull,
		            .addr = i << 12,
		            .time_ns = i + 1};
		hv_ras_add(r, &m);
	}
	assert_non_null(hv_snap_pcpus(s, 1));
	assert_int_equal(0, hv_ras_fill(r, s, NULL));
	const hv_host *h = hv_snap_host(s);
	assert_int_equal(h->pcpu[0].ce_count.v, HV_RAS_PAGE_MAX + 5);
	assert_int_equal(h->nr_page, HV_RAS_PAGE_MAX);
	assert_non_null(strstr(h->ras_note, "5 errors"));
	hv_snap_unref(s);
	hv_ras_free(r);
}

/* Xen dom0's /dev/mcelog: 32 slots of struct xen_mce, three finished. */
static void test_xen_mcelog(void **state)
{
	size_t len;
	char *rec = fixture("xen-mcelog.bin", &len);
	got g = {0};
	hv_ras *r = hv_ras_new();
	hv_snap *s = hv_snap_new();
	(void)state;

	assert_int_equal(len, 32 * 88);
	assert_int_equal(3, hv_xen_mce_decode(rec, len, 88, 42, collect, &g));
	assert_int_equal(g.m[0].cpu, 1);
	assert_int_equal(g.m[0].bank, 1);
	assert_true(g.m[0].addr == 0x1234040);
	assert_int_equal(g.m[0].walltime, 1765000000ull);
	assert_int_equal(g.m[0].time_ns, 42);
	assert_int_equal(g.m[2].cpu, 3);
	assert_true(g.m[2].status & HV_MCI_UC);
	/* a record length the driver would never give */
	assert_int_equal(-EPROTO,
	                 hv_xen_mce_decode(rec, len, 80, 0, collect, &g));
	/* a longer record (newer layout): the known prefix still decodes */
	assert_int_equal(1,
	                 hv_xen_mce_decode(rec, 2 * 88, 176, 0, collect, &g));
	assert_int_equal(
	    3, hv_xen_mce_decode(rec, len, 88, 7, (hv_mce_cb)hv_ras_add, r));
	assert_non_null(hv_snap_pcpus(s, 4));
	assert_int_equal(0, hv_ras_fill(r, s, NULL));
	const hv_host *h = hv_snap_host(s);
	assert_int_equal(h->pcpu[1].ce_count.v, 2);
	assert_int_equal(h->pcpu[3].ue_count.v, 1);
	assert_int_equal(h->nr_page, 2);
	assert_true(h->page[1].addr == 0x1234000);
	assert_int_equal(h->page[1].ce, 2);
	hv_snap_unref(s);
	hv_ras_free(r);
	free(rec);
}

/* ---- platform layer on a fixture tree ---- */

static fx *fx_new(void)
{
	fx *f = fx_new_tag("ras");
	assert_int_equal(0, hvt_build_intel_host(f->h, 4, 1));
	return f;
}

static hv_snap *sample(fx *f)
{
	return fx_sample(f);
}

static void put_tracefs(fx *f, const char *root, const char *fmtname)
{
	char rel[256];
	char *t = fixture(fmtname, NULL);
	snprintf(rel, sizeof(rel), "%s/events/mce/mce_record/format", root);
	assert_int_equal(0, hvt_sys(f->h, rel, "%s", t));
	free(t);
}

static void append_records(fx *f, const char *root, const char *recname)
{
	char path[4096];
	size_t len;
	char *rec = fixture(recname, &len);
	int fd;
	snprintf(path, sizeof(path),
	         "%s/%s/events/mce/mce_record/hvkit.records", f->env.sys, root);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	assert_true(fd >= 0);
	assert_int_equal((ssize_t)len, write(fd, rec, len));
	close(fd);
	free(rec);
}

/* kpageflags with the HWPOISON bit (19) for the page at addr. */
static void set_poison(fx *f, uint64_t addr, int on)
{
	char path[4096];
	uint64_t flags = on ? 1ull << 19 : 0;
	int fd;
	snprintf(path, sizeof(path), "%s/kpageflags", f->env.proc);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	/* 1 GiB of page frames: past that there is "no such page frame" */
	assert_int_equal(0, ftruncate(fd, (0x40000000 >> 12) * 8));
	assert_int_equal(8, pwrite(fd, &flags, 8, (off_t)((addr >> 12) * 8)));
	close(fd);
}

static void plat_tracefs(const char *root)
{
	fx *f = fx_new();
	put_tracefs(f, root, "format-6.1");
	set_poison(f, 0x7000, 0);
	fx_open(f);
	hv_snap *s = sample(f);
	const hv_host *h = hv_snap_host(s);
	/* open, nothing yet: real zeros */
	assert_int_equal(h->page_why, HV_OK);
	assert_int_equal(h->nr_page, 0);
	assert_true(hv_ok(h->pcpu[2].ce_count));
	assert_int_equal(h->pcpu[2].ce_count.v, 0);
	hv_snap_unref(s);

	append_records(f, root, "records-6.1.bin");
	set_poison(f, 0x7000, 1); /* the kernel poisoned the UC page */
	s = sample(f);
	h = hv_snap_host(s);
	assert_int_equal(h->pcpu[2].ce_count.v, 3);
	assert_int_equal(h->pcpu[2].last_bank, 4);
	assert_int_equal(h->pcpu[1].ue_count.v, 1);
	assert_int_equal(h->mce_lost.v, 2);
	assert_int_equal(h->nr_page, 2);
	assert_int_equal(h->page[0].state, HV_PAGE_SOFT_OFFLINE);
	assert_string_equal(h->page[0].reason, "poisoned (kernel)");
	assert_int_equal(h->page[1].state, HV_PAGE_ONLINE);
	hv_snap_unref(s);

	/* the same records again: counts add, nothing re-read */
	append_records(f, root, "records-6.1.bin");
	s = sample(f);
	assert_int_equal(hv_snap_host(s)->pcpu[2].ce_count.v, 6);
	hv_snap_unref(s);
	s = sample(f);
	assert_int_equal(hv_snap_host(s)->pcpu[2].ce_count.v, 6);
	hv_snap_unref(s);
	fx_free(f);
}

static void test_plat_tracefs(void **state)
{
	(void)state;
	plat_tracefs("kernel/tracing");
}

static void test_plat_debugfs(void **state)
{
	(void)state;
	plat_tracefs("kernel/debug/tracing");
}

static void test_plat_no_tracepoint(void **state)
{
	(void)state;
	fx *f = fx_new();
	fx_open(f);
	hv_snap *s = sample(f);
	const hv_host *h = hv_snap_host(s);
	assert_int_equal(h->pcpu[1].ce_count.why, HV_NA_UNSUPPORTED);
	assert_int_equal(h->pcpu[1].ue_count.why, HV_NA_UNSUPPORTED);
	assert_int_equal(h->page_why, HV_NA_UNSUPPORTED);
	assert_non_null(strstr(h->ras_note, "no mce:mce_record tracepoint"));
	hv_snap_unref(s);
	fx_free(f);
}

static void test_plat_bad_format(void **state)
{
	(void)state;
	fx *f = fx_new();
	assert_int_equal(0, hvt_sys(f->h,
	                            "kernel/tracing/events/mce/mce_record/"
	                            "format",
	                            "name: mce_record\nID: 9\nformat:\n"));
	fx_open(f);
	hv_snap *s = sample(f);
	const hv_host *h = hv_snap_host(s);
	assert_int_equal(h->pcpu[1].ce_count.why, HV_NA_ERROR);
	assert_non_null(strstr(h->ras_note, "no field status"));
	hv_snap_unref(s);
	fx_free(f);
}

static void test_mem_knob(void **state)
{
	(void)state;
	fx *f = fx_new();
	char val[16];
	hv_err err = {0};
	put_tracefs(f, "kernel/tracing", "format-6.1");
	assert_int_equal(
	    0,
	    hvt_sys(f->h, "devices/system/memory/soft_offline_page", "%s", ""));
	set_poison(f, 0x12345000, 0);
	fx_open(f);
	assert_int_equal(0, hv_plat_knob_get(f->p, "mem/0x12345678/offline",
	                                     val, sizeof(val), &err));
	assert_string_equal(val, "0");
	assert_int_equal(
	    0, hv_plat_knob_set(f->p, "mem/0x12345678/offline", "1", &err));
	char *w =
	    hvt_read(f->env.sys, "devices/system/memory/soft_offline_page");
	assert_string_equal(w, "0x12345000\n");
	free(w);
	hv_snap *s = sample(f);
	const hv_host *h = hv_snap_host(s);
	/* the fixture kernel did not poison it: the kernel's flag is the
	 * truth, so the page shows online */
	assert_int_equal(h->nr_page, 1);
	assert_true(h->page[0].addr == 0x12345000);
	assert_int_equal(h->page[0].state, HV_PAGE_ONLINE);
	hv_snap_unref(s);
	/* once the kernel has it poisoned, a second offline says so */
	set_poison(f, 0x12345000, 1);
	assert_int_equal(
	    -EALREADY,
	    hv_plat_knob_set(f->p, "mem/0x12345000/offline", "1", &err));
	s = sample(f);
	h = hv_snap_host(s);
	assert_int_equal(h->page[0].state, HV_PAGE_SOFT_OFFLINE);
	hv_snap_unref(s);
	fx_free(f);
}

static void test_mem_knob_refusals(void **state)
{
	(void)state;
	fx *f = fx_new();
	char val[16];
	hv_err err = {0};
	set_poison(f, 0x5000, 1);
	fx_open(f);
	/* already poisoned */
	assert_int_equal(
	    -EALREADY, hv_plat_knob_set(f->p, "mem/0x5000/offline", "1", &err));
	assert_non_null(strstr(err.msg, "already poisoned"));
	assert_int_equal(0, hv_plat_knob_get(f->p, "mem/0x5000/offline", val,
	                                     sizeof(val), &err));
	assert_string_equal(val, "1");
	/* never back online */
	assert_int_equal(
	    -EPERM, hv_plat_knob_set(f->p, "mem/0x5000/offline", "0", &err));
	assert_non_null(strstr(err.msg, "cannot be brought back"));
	/* no soft_offline_page in this kernel */
	assert_int_equal(
	    -ENOTSUP, hv_plat_knob_set(f->p, "mem/0x6000/offline", "1", &err));
	/* past the last frame, garbage, negative */
	assert_int_equal(
	    -ERANGE,
	    hv_plat_knob_set(f->p, "mem/0x80000000/offline", "1", &err));
	assert_int_equal(-EINVAL,
	                 hv_plat_knob_set(f->p, "mem/12x/offline", "1", &err));
	assert_int_equal(
	    -EINVAL, hv_plat_knob_set(f->p, "mem/-4096/offline", "1", &err));
	assert_int_equal(
	    -ENOTSUP, hv_plat_knob_set(f->p, "mem/0x5000/online", "1", &err));
	assert_true(hv_knob_one_way("mem/0x5000/offline"));
	assert_false(hv_knob_one_way("cpu/1/online"));
	fx_free(f);
}

/* ---- EDAC ---- */

#define MC "devices/system/edac/mc/"

static void edac_dimms(fx *f)
{
	assert_int_equal(0, hvt_sys(f->h, MC "mc0/ce_count", "7\n"));
	assert_int_equal(0, hvt_sys(f->h, MC "mc0/ue_count", "0\n"));
	assert_int_equal(0, hvt_sys(f->h, MC "mc0/dimm0/dimm_ce_count", "5\n"));
	assert_int_equal(0, hvt_sys(f->h, MC "mc0/dimm0/dimm_ue_count", "0\n"));
	assert_int_equal(0, hvt_sys(f->h, MC "mc0/dimm0/dimm_label",
	                            "CPU_SrcID#0_MC#0_Chan#0_DIMM#0\n"));
	assert_int_equal(0, hvt_sys(f->h, MC "mc0/dimm1/dimm_ce_count", "2\n"));
	assert_int_equal(0, hvt_sys(f->h, MC "mc0/dimm1/dimm_ue_count", "0\n"));
	assert_int_equal(0, hvt_sys(f->h, MC "mc0/dimm1/dimm_label",
	                            "CPU_SrcID#0_MC#0_Chan#1_DIMM#0\n"));
	/* an old driver: csrows only */
	assert_int_equal(0, hvt_sys(f->h, MC "mc1/ce_count", "1\n"));
	assert_int_equal(0, hvt_sys(f->h, MC "mc1/ue_count", "1\n"));
	assert_int_equal(0, hvt_sys(f->h, MC "mc1/csrow0/ce_count", "1\n"));
	assert_int_equal(0, hvt_sys(f->h, MC "mc1/csrow0/ue_count", "1\n"));
	assert_int_equal(
	    0, hvt_sys(f->h, MC "mc1/csrow0/ch0_dimm_label", "DIMM_B1\n"));
}

static void test_edac_dimms(void **state)
{
	(void)state;
	fx *f = fx_new();
	char edac[4096];
	snprintf(edac, sizeof(edac), "%s/devices/system/edac", f->env.sys);
	assert_int_equal(0, hvt_rmtree(edac)); /* the builder's plain mcN */
	edac_dimms(f);
	fx_open(f);
	hv_snap *s = sample(f);
	const hv_host *h = hv_snap_host(s);
	assert_int_equal(h->nr_dimm, 3);
	assert_string_equal(h->dimm[0].name, "mc0/dimm0");
	assert_string_equal(h->dimm[0].label, "CPU_SrcID#0_MC#0_Chan#0_DIMM#0");
	assert_int_equal(h->dimm[0].ce.v, 5);
	assert_int_equal(h->dimm[1].ce.v, 2);
	assert_string_equal(h->dimm[2].name, "mc1/csrow0");
	assert_string_equal(h->dimm[2].label, "DIMM_B1");
	assert_int_equal(h->dimm[2].ue.v, 1);
	assert_true(hv_ok(h->ue_total));
	hv_snap_unref(s);

	/* malformed: that DIMM only is marked */
	assert_int_equal(0,
	                 hvt_sys(f->h, MC "mc0/dimm1/dimm_ce_count", "2a\n"));
	s = sample(f);
	h = hv_snap_host(s);
	assert_int_equal(h->dimm[1].ce.why, HV_NA_ERROR);
	assert_int_equal(h->dimm[0].ce.v, 5);
	hv_snap_unref(s);

	/* wrapped: 4294967290 -> 5 is +11; a drop from low is a reset */
	assert_int_equal(
	    0, hvt_sys(f->h, MC "mc0/dimm0/dimm_ce_count", "4294967290\n"));
	s = sample(f);
	assert_int_equal(hv_snap_host(s)->dimm[0].ce.v, 4294967290ull);
	hv_snap_unref(s);
	assert_int_equal(0, hvt_sys(f->h, MC "mc0/dimm0/dimm_ce_count", "5\n"));
	s = sample(f);
	assert_int_equal(hv_snap_host(s)->dimm[0].ce.v, 4294967301ull);
	hv_snap_unref(s);
	assert_int_equal(0, hvt_sys(f->h, MC "mc0/dimm1/dimm_ce_count", "2\n"));
	s = sample(f);
	hv_snap_unref(s);
	assert_int_equal(0, hvt_sys(f->h, MC "mc0/dimm1/dimm_ce_count", "1\n"));
	s = sample(f);
	assert_int_equal(hv_snap_host(s)->dimm[1].ce.v, 3); /* 2, reset, +1 */
	hv_snap_unref(s);
	/* a value a u32 cannot hold is malformed */
	assert_int_equal(
	    0, hvt_sys(f->h, MC "mc0/dimm1/dimm_ce_count", "4294967296\n"));
	s = sample(f);
	assert_int_equal(hv_snap_host(s)->dimm[1].ce.why, HV_NA_ERROR);
	hv_snap_unref(s);

	/* vanished: unavailable this sample, gone from the list next */
	assert_int_equal(0, hvt_rm(f->env.sys, MC "mc1/csrow0/ce_count"));
	assert_int_equal(0, hvt_rm(f->env.sys, MC "mc1/csrow0/ue_count"));
	assert_int_equal(0, hvt_rm(f->env.sys, MC "mc1/csrow0/ch0_dimm_label"));
	assert_int_equal(0, hvt_rm(f->env.sys, MC "mc1/csrow0"));
	s = sample(f);
	h = hv_snap_host(s);
	assert_int_equal(h->nr_dimm, 3);
	assert_int_equal(h->dimm[2].ce.why, HV_NA_UNAVAILABLE);
	hv_snap_unref(s);
	s = sample(f);
	assert_int_equal(hv_snap_host(s)->nr_dimm, 2);
	hv_snap_unref(s);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_61),
	    cmocka_unit_test(test_format_shifted),
	    cmocka_unit_test(test_format_bad),
	    cmocka_unit_test(test_drain_61),
	    cmocka_unit_test(test_drain_shifted),
	    cmocka_unit_test(test_drain_wrong_layout),
	    cmocka_unit_test(test_accumulate),
	    cmocka_unit_test(test_page_cap),
	    cmocka_unit_test(test_xen_mcelog),
	    cmocka_unit_test(test_snapjson_roundtrip),
	    cmocka_unit_test(test_plat_tracefs),
	    cmocka_unit_test(test_plat_debugfs),
	    cmocka_unit_test(test_plat_no_tracepoint),
	    cmocka_unit_test(test_plat_bad_format),
	    cmocka_unit_test(test_mem_knob),
	    cmocka_unit_test(test_mem_knob_refusals),
	    cmocka_unit_test(test_edac_dimms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
