/* SPDX-License-Identifier: MIT */
/* KVM binary stats (KVM_GET_STATS_FD layout): the pure parser on blobs
 * written here in the kernel's exact layout (header, id, descriptors of
 * 16 + name_size bytes, u64 data), with x86 and arm64 names, histograms,
 * instant and peak values; truncated and garbage blobs, an absurd
 * descriptor count, a stat out of range -> a clear error. Then the kvm
 * backend on a fixture procfs whose VMM holds stats fds ("kvm-vm-stats",
 * "kvm-vcpu-stats:N" links), served by a test opener: stats fds before
 * debugfs, domain sums and per-vCPU counters and rates, a vCPU added
 * later, a stats fd that will not parse, "not permitted", and a VMM that
 * exits mid-sample. A QEMU guest's counters through QMP query-stats
 * (a fake monitor). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "fakeqmp.h"
#include "hv/backend.h"
#include "hv/fields.h"
#include "hv/rates.h"
#include "hv/sample.h"
#include "hvtest.h"
#include "kvm/kvm_int.h"
#include "kvmfix.h"

#define NSZ 48 /* the kernel's KVM_STATS_NAME_SIZE */
#define CUM HV_KVM_STATS_CUMULATIVE
#define INST HV_KVM_STATS_INSTANT
#define PEAK HV_KVM_STATS_PEAK
#define LOGH HV_KVM_STATS_LOG_HIST
#define LINH HV_KVM_STATS_LINEAR_HIST

struct bd {
	const char *name;
	uint32_t type;
	uint16_t size; /* 0 = 1 */
	uint64_t v;    /* every element of a histogram holds v too */
};

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* A stats fd's content: header, id, descriptors, data; the u64 values
 * scaled by k. Returns its length. */
static size_t blob(unsigned char *b, size_t cap, const char *id,
                   const struct bd *d, size_t n, uint64_t k)
{
	size_t desc = 24 + NSZ, data = desc + n * (16 + NSZ), off = 0;

	memset(b, 0, cap);
	put32(b + 4, NSZ);
	put32(b + 8, (uint32_t)n);
	put32(b + 12, 24);
	put32(b + 16, (uint32_t)desc);
	put32(b + 20, (uint32_t)data);
	snprintf((char *)b + 24, NSZ, "%s", id);
	for (size_t i = 0; i < n; i++) {
		unsigned char *p = b + desc + i * (16 + NSZ);
		uint16_t sz = d[i].size ? d[i].size : 1;
		put32(p, d[i].type | (d[i].type == CUM ? 0 : 0x10u));
		memcpy(p + 6, &sz, 2);
		put32(p + 8, (uint32_t)off);
		put32(p + 12, d[i].type == LINH ? 10 : 0);
		snprintf((char *)p + 16, NSZ, "%s", d[i].name);
		for (uint16_t j = 0; j < sz; j++) {
			uint64_t v = d[i].v * k;
			assert_true(data + off + 8 <= cap);
			memcpy(b + data + off, &v, 8);
			off += 8;
		}
	}
	return data + off;
}

/* An x86 vCPU: generic halt stats first (with a histogram), as 6.x. */
static const struct bd x86_vcpu[] = {
    {"halt_successful_poll", CUM, 1, 7},
    {"halt_wait_hist", LOGH, 32, 1000},
    {"blocking", INST, 1, 1},
    {"exits", CUM, 1, 4000},
    {"io_exits", CUM, 1, 900},
    {"mmio_exits", CUM, 1, 600},
    {"signal_exits", CUM, 1, 2},
    {"halt_exits", CUM, 1, 400},
    {"irq_exits", CUM, 1, 120},
    {"guest_mode", INST, 1, 1},
};
static const struct bd x86_vm[] = {
    {"remote_tlb_flush", CUM, 1, 3},
    {"max_mmu_rmap_size", PEAK, 1, 9},
    {"pages_4k", INST, 1, 512},
};
/* An arm64 vCPU (the names the emulated arm64 host's stats fd shows). */
static const struct bd arm_vcpu[] = {
    {"halt_poll_fail_hist", LINH, 32, 5},
    {"exits", CUM, 1, 1000},
    {"mmio_exit_user", CUM, 1, 200},
    {"mmio_exit_kernel", CUM, 1, 50},
    {"wfi_exit_stat", CUM, 1, 300},
    {"wfe_exit_stat", CUM, 1, 10},
    {"hvc_exit_stat", CUM, 1, 5},
    {"signal_exits", CUM, 1, 1},
    /* a histogram and an instant value under an exit's name: skipped */
    {"irq_exits", LOGH, 4, 99},
    {"io_exits", INST, 1, 99},
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void sums(const unsigned char *b, size_t len, struct hv_kvm_stats *st,
                 struct hv_kvm_xsum *x)
{
	hv_err err = {0};

	assert_int_equal(0, hv_kvm_stats_parse(b, len, st, &err));
	memset(x, 0, sizeof(*x));
	hv_kvm_stats_kinds(st, b + st->data_off, len - st->data_off, x);
}

static void test_parse_x86(void **state)
{
	unsigned char b[4096];
	struct hv_kvm_stats st;
	struct hv_kvm_xsum x;
	size_t len =
	    blob(b, sizeof(b), "kvm-900/vcpu-1", x86_vcpu, N(x86_vcpu), 1);
	(void)state;

	sums(b, len, &st, &x);
	assert_string_equal(st.id, "kvm-900/vcpu-1");
	assert_int_equal(1, hv_kvm_stats_vcpu(&st));
	assert_int_equal(10, st.ndesc);
	assert_int_equal(1, st.nhist);
	assert_int_equal(2, st.ninstant);
	assert_int_equal(6, st.nmatched);
	assert_int_equal(4000, x.v[HV_KVM_XK_ALL]);
	assert_int_equal(900, x.v[HV_KVM_XK_IO]);
	assert_int_equal(600, x.v[HV_KVM_XK_MMIO]);
	assert_int_equal(400, x.v[HV_KVM_XK_WAIT]);
	assert_int_equal(120, x.v[HV_KVM_XK_IRQ]);
	assert_int_equal(2, x.v[HV_KVM_XK_SIGNAL]);
	assert_false(x.has[HV_KVM_XK_HVC]);
	/* only up to the last counter used is read each sample */
	assert_int_equal((1 + 32 + 1 + 6) * 8, st.data_len);

	len = blob(b, sizeof(b), "kvm-900", x86_vm, N(x86_vm), 1);
	sums(b, len, &st, &x);
	assert_int_equal(-1, hv_kvm_stats_vcpu(&st));
	assert_int_equal(0, st.data_len); /* nothing to read */
	assert_int_equal(2, st.ninstant);
	for (int k = 0; k < HV_KVM_XK_N; k++)
		assert_false(x.has[k]);
}

static void test_parse_arm64(void **state)
{
	unsigned char b[4096];
	struct hv_kvm_stats st;
	struct hv_kvm_xsum x;
	size_t len =
	    blob(b, sizeof(b), "kvm-700/vcpu-0", arm_vcpu, N(arm_vcpu), 1);
	(void)state;

	sums(b, len, &st, &x);
	assert_int_equal(0, hv_kvm_stats_vcpu(&st));
	assert_int_equal(1000, x.v[HV_KVM_XK_ALL]);
	assert_int_equal(250, x.v[HV_KVM_XK_MMIO]);
	assert_int_equal(310, x.v[HV_KVM_XK_WAIT]);
	assert_int_equal(5, x.v[HV_KVM_XK_HVC]);
	assert_int_equal(1, x.v[HV_KVM_XK_SIGNAL]);
	assert_false(x.has[HV_KVM_XK_IO]);  /* instant: not an exit count */
	assert_false(x.has[HV_KVM_XK_IRQ]); /* histogram: skipped */
	assert_int_equal(2, st.nhist);
	assert_int_equal(1, st.ninstant);
	/* a data block read short: the counters past it are not summed */
	memset(&x, 0, sizeof(x));
	hv_kvm_stats_kinds(&st, b + st.data_off, 33 * 8, &x);
	assert_true(x.has[HV_KVM_XK_ALL]);
	assert_false(x.has[HV_KVM_XK_MMIO]);
}

static void bad(const unsigned char *b, size_t len, const char *msg)
{
	struct hv_kvm_stats st;
	hv_err err = {0};

	assert_int_equal(-EINVAL, hv_kvm_stats_parse(b, len, &st, &err));
	if (!strstr(err.msg, msg))
		fail_msg("error '%s' lacks '%s'", err.msg, msg);
}

static void test_parse_bad(void **state)
{
	unsigned char b[4096], g[4096];
	size_t len =
	    blob(b, sizeof(b), "kvm-1/vcpu-0", x86_vcpu, N(x86_vcpu), 1);
	size_t dlen = 24 + NSZ + N(x86_vcpu) * (16 + NSZ);
	unsigned char *d4 = b + 24 + NSZ + 3 * (16 + NSZ); /* "exits" */
	(void)state;

	bad(b, 10, "header truncated");
	bad(b, dlen - 1, "truncated");
	memset(g, 0xff, sizeof(g)); /* garbage */
	bad(g, sizeof(g), "name size");
	for (size_t i = 0; i < sizeof(g); i++)
		g[i] = (unsigned char)(i * 131 + 7);
	{
		struct hv_kvm_stats st;
		hv_err err = {0};
		assert_true(hv_kvm_stats_parse(g, sizeof(g), &st, &err) < 0);
		assert_true(err.msg[0]);
	}
	put32(b + 8, 1000000);
	bad(b, len, "descriptors (absurd)");
	put32(b + 8, N(x86_vcpu));
	put32(b + 4, 0);
	bad(b, len, "name size 0");
	put32(b + 4, NSZ);
	put32(d4 + 8, 2u << 20);
	bad(b, len, "exits: offset 2097152 size 1 out of range");
	put32(d4 + 8, 12); /* not on a u64 */
	bad(b, len, "out of range");
	put32(d4 + 8, 33 * 8);
	memset(d4 + 16, 'a', NSZ);
	bad(b, len, "descriptor 3: name unterminated");
	blob(b, sizeof(b), "kvm-1/vcpu-0", x86_vcpu, N(x86_vcpu), 1);
	put32(b + 20, 4);
	bad(b, len, "data offset 4");
}

/* ---- the backend ---- */

typedef struct fx {
	hvt_host *h;
	hv_env env;
	void *priv;
	char dir[512]; /* blobs served by the opener */
	int eperm;
	int gone_pid; /* removed at phase 2 */
} fx;

static int opener(void *arg, uint32_t pid, int vfd)
{
	fx *f = arg;
	char p[600];
	int fd;

	if (f->eperm)
		return -EPERM;
	snprintf(p, sizeof(p), "%s/%u-%d", f->dir, pid, vfd);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void put_blob(fx *f, int pid, int vfd, const char *id,
                     const struct bd *d, size_t n, uint64_t k)
{
	unsigned char b[8192];
	char rel[32];
	size_t len = blob(b, sizeof(b), id, d, n, k);

	snprintf(rel, sizeof(rel), "%d-%d", pid, vfd);
	assert_int_equal(0, kf_put(f->dir, rel, b, len));
}

static void link_fd(fx *f, int pid, int fd, const char *tgt)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "%d/fd/%d", pid, fd);
	assert_int_equal(0, hvt_symlink(f->h->proc, tgt, rel));
}

static void dbg(fx *f, int pid, const char *name, uint64_t v)
{
	assert_int_equal(0, kf_debugfs(f->h->sys, pid, name, v));
}

static const char *const lkvm_argv[] = {"/usr/bin/lkvm", "run", "--name", "arm",
                                        NULL};
static const char *const x86_argv[] = {"/usr/bin/tinyvmm", "--name", "x86",
                                       NULL};

/* arm64 VMM 700 (2 vCPUs) and x86 VMM 900 (1 vCPU), each with stats fds:
 * VM at fd 7, vCPU i at 8 + i; blobs scaled by k. */
static void blobs(fx *f, uint64_t k)
{
	put_blob(f, 700, 7, "kvm-700", x86_vm, 0, k);
	put_blob(f, 700, 8, "kvm-700/vcpu-0", arm_vcpu, N(arm_vcpu), k);
	put_blob(f, 700, 9, "kvm-700/vcpu-1", arm_vcpu, N(arm_vcpu), 2 * k);
	put_blob(f, 900, 7, "kvm-900", x86_vm, N(x86_vm), k);
	put_blob(f, 900, 8, "kvm-900/vcpu-0", x86_vcpu, N(x86_vcpu), k);
}

static void build(fx *f)
{
	static const kf_vcpu av[] = {{.tid = 701, .comm = "kvm-vcpu-0"},
	                             {.tid = 702, .comm = "kvm-vcpu-1"}};
	static const kf_vcpu xv[] = {{.tid = 901, .comm = "kvm-vcpu-0"}};
	kf_proc p[] = {
	    {.pid = 700,
	     .comm = "lkvm",
	     .starttime = 100,
	     .argv = lkvm_argv,
	     .nvcpu = 2,
	     .vcpu = av},
	    {.pid = 900,
	     .comm = "tinyvmm",
	     .starttime = 300,
	     .argv = x86_argv,
	     .nvcpu = 1,
	     .vcpu = xv},
	};
	char *d;

	memset(f, 0, sizeof(*f));
	f->h = hvt_host_new("statsfd");
	assert_non_null(f->h);
	hvt_host_env(f->h, &f->env);
	d = hvt_tmpdir("statsfd-blobs");
	assert_non_null(d);
	snprintf(f->dir, sizeof(f->dir), "%s", d);
	free(d);
	for (size_t i = 0; i < N(p); i++) {
		assert_int_equal(0, kf_write_proc(f->h->proc, &p[i]));
		link_fd(f, p[i].pid, 4, "anon_inode:kvm-vm");
		link_fd(f, p[i].pid, 7, "anon_inode:kvm-vm-stats");
	}
	link_fd(f, 700, 5, "anon_inode:kvm-vcpu:0");
	link_fd(f, 700, 6, "anon_inode:kvm-vcpu:1");
	link_fd(f, 700, 8, "anon_inode:kvm-vcpu-stats:0");
	link_fd(f, 700, 9, "anon_inode:kvm-vcpu-stats:1");
	link_fd(f, 900, 5, "anon_inode:kvm-vcpu:0");
	link_fd(f, 900, 8, "anon_inode:kvm-vcpu-stats:0");
	blobs(f, 1);
	/* debugfs says otherwise: the stats fds must win */
	dbg(f, 700, "exits", 1);
	dbg(f, 900, "exits", 1);
	dbg(f, 900, "io_exits", 1);
}

static void fx_open(fx *f)
{
	hv_err err = {0};
	hv_backend_opts o = {.qmp_dirs = "/nonexistent"};

	assert_int_equal(0, hv_kvm_ops.open(&f->env, &o, &f->priv, &err));
	hv_kvm_set_stats_open(f->priv, opener, f);
}

static void fx_free(fx *f)
{
	hv_kvm_ops.close(f->priv);
	hvt_rmtree(f->dir);
	hvt_host_free(f->h);
}

static hv_snap *sample(fx *f, uint64_t mono_ns)
{
	hv_snap *s = kf_sample_at(f->priv, mono_ns);

	assert_non_null(s);
	return s;
}

#define by_name kf_dom

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static void check_first(const hv_snap *a)
{
	const hv_dom *l = by_name(a, "arm"), *x = by_name(a, "x86");

	assert_non_null(l);
	assert_non_null(x);
	/* arm64: vCPU 0 at 1x, vCPU 1 at 2x: the VM is 3x */
	assert_int_equal(3000, l->kvm_exits.v);
	assert_int_equal(750, l->kvm_mmio_exits.v);
	assert_int_equal(930, l->kvm_wait_exits.v);
	assert_int_equal(15, l->kvm_hvc_exits.v);
	assert_int_equal(HV_NA_UNSUPPORTED, l->kvm_io_exits.why);
	assert_int_equal(2, l->nr_vcpu);
	assert_int_equal(1000, l->vcpu[0].kvm_exits.v);
	assert_int_equal(310, l->vcpu[0].kvm_wait_exits.v);
	assert_int_equal(2000, l->vcpu[1].kvm_exits.v);
	assert_int_equal(620, l->vcpu[1].kvm_wait_exits.v);
	/* x86 */
	assert_int_equal(4000, x->kvm_exits.v);
	assert_int_equal(900, x->kvm_io_exits.v);
	assert_int_equal(400, x->kvm_wait_exits.v);
	assert_int_equal(120, x->kvm_irq_exits.v);
	assert_int_equal(HV_NA_UNSUPPORTED, x->kvm_hvc_exits.why);
	assert_int_equal(400, x->vcpu[0].kvm_wait_exits.v);
}

static void test_backend(void **state)
{
	fx f;
	hv_err err = {0};
	int fds0 = count_fds();
	(void)state;

	build(&f);
	fx_open(&f);
	hv_snap *a = sample(&f, 1000000000ull);
	check_first(a);
	/* 2 s later, each count three times as large */
	blobs(&f, 3);
	hv_snap *b = sample(&f, 3000000000ull);
	hv_rates *r = hv_rates_compute(a, b, &err);
	assert_non_null(r);
	const hv_dom *l = by_name(b, "arm");
	const hv_dom_rate *lr = hv_rates_dom(r, hv_snap_index(b, l));
	assert_true(fabs(lr->kvm_exits_ps - 3000.0) < 1e-6);
	assert_true(fabs(lr->kvm_mmio_ps - 750.0) < 1e-6);
	assert_true(fabs(lr->vcpu[1].kvm_exits_ps - 2000.0) < 1e-6);
	assert_true(fabs(lr->vcpu[0].kvm_wait_ps - 310.0) < 1e-6);
	/* the registry's vCPU rows carry them */
	{
		size_t n;
		const hv_field *t = hv_fields(HV_REC_VCPU, &n);
		int seen = 0;
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(t[i].name, "kvm.exits.all")) {
				assert_string_equal(t[i].prom,
				                    "hv_domain_vcpu_kvm_exits");
				assert_int_equal(
				    3000, hv_field_u64(&t[i], &l->vcpu[0]).v);
				seen++;
			}
			if (!strcmp(t[i].name, "kvm.exits.wait.rate")) {
				assert_true(
				    fabs(hv_field_base(&t[i], &l->vcpu[0],
				                       &lr->vcpu[0]) -
				         310.0) < 1e-6);
				seen++;
			}
		}
		assert_int_equal(2, seen);
	}
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	/* VM + vCPU stats fds are held: 3 + 2 */
	assert_true(hv_kvm_cached_fds(f.priv) >= 5);
	fx_free(&f);
	assert_int_equal(fds0, count_fds());
}

/* A vCPU added later: its thread appears, then its stats fd is taken. */
static void test_hotadd(void **state)
{
	static const kf_vcpu av[] = {{.tid = 701, .comm = "kvm-vcpu-0"},
	                             {.tid = 702, .comm = "kvm-vcpu-1"},
	                             {.tid = 703, .comm = "kvm-vcpu-2"}};
	kf_proc p = {.pid = 700,
	             .comm = "lkvm",
	             .starttime = 100,
	             .argv = lkvm_argv,
	             .nvcpu = 3,
	             .vcpu = av};
	fx f;
	(void)state;

	build(&f);
	fx_open(&f);
	hv_snap *a = sample(&f, 1000000000ull);
	assert_int_equal(2, by_name(a, "arm")->nr_vcpu);
	hv_snap_unref(a);
	assert_int_equal(0, kf_write_proc(f.h->proc, &p));
	link_fd(&f, 700, 10, "anon_inode:kvm-vcpu:2");
	link_fd(&f, 700, 11, "anon_inode:kvm-vcpu-stats:2");
	put_blob(&f, 700, 11, "kvm-700/vcpu-2", arm_vcpu, N(arm_vcpu), 1);
	/* the thread rescan comes first (up to 2 x 64 samples) */
	const hv_dom *l = NULL;
	hv_snap *s = NULL;
	for (int i = 0; i < 130; i++) {
		hv_snap_unref(s);
		s = sample(&f, 2000000000ull + (uint64_t)i * 1000000000ull);
		l = by_name(s, "arm");
		if (l->nr_vcpu == 3)
			break;
	}
	assert_int_equal(3, l->nr_vcpu);
	/* in the same sample: vCPU 2's stats, and the VM sum with them */
	assert_int_equal(1000, l->vcpu[2].kvm_exits.v);
	assert_int_equal(4000, l->kvm_exits.v);
	hv_snap_unref(s);
	fx_free(&f);
}

/* The fixture with the x86 VMM running two vCPU threads (stats fd of
 * vCPU 0 only). */
static void build_x86_two(fx *f)
{
	static const kf_vcpu xv[] = {{.tid = 901, .comm = "kvm-vcpu-0"},
	                             {.tid = 902, .comm = "kvm-vcpu-1"}};
	kf_proc p = {.pid = 900,
	             .comm = "tinyvmm",
	             .starttime = 300,
	             .argv = x86_argv,
	             .nvcpu = 2,
	             .vcpu = xv};

	build(f);
	assert_int_equal(0, kf_write_proc(f->h->proc, &p));
}

/* x86 names a vCPU's stats by its APIC ID, which has gaps (QEMU -smp
 * 6,sockets=2: 0,1,2,4,5,6) where the vCPU threads go by cpu index: the
 * second vCPU's stats "vcpu-4" are the second vCPU's row. */
static void test_apic_ids(void **state)
{
	fx f;
	(void)state;

	build_x86_two(&f);
	link_fd(&f, 900, 6, "anon_inode:kvm-vcpu:4");
	link_fd(&f, 900, 10, "anon_inode:kvm-vcpu-stats:4");
	put_blob(&f, 900, 10, "kvm-900/vcpu-4", x86_vcpu, N(x86_vcpu), 2);
	fx_open(&f);
	hv_snap *a = sample(&f, 1000000000ull);
	const hv_dom *x = by_name(a, "x86");
	assert_int_equal(2, x->nr_vcpu);
	assert_int_equal(4000, x->vcpu[0].kvm_exits.v);
	assert_int_equal(8000, x->vcpu[1].kvm_exits.v);
	assert_int_equal(800, x->vcpu[1].kvm_wait_exits.v);
	assert_int_equal(12000, x->kvm_exits.v);
	hv_snap_unref(a);
	fx_free(&f);
}

/* A VMM holding fewer vCPU stats fds than it runs vCPU threads: its fd
 * directory is walked again when the threads change or at the periodic
 * rescan, not every sample; a stats fd that shows up meanwhile is taken
 * then. */
static void test_fewer_fds(void **state)
{
	fx f;
	int n = 0;
	(void)state;

	build_x86_two(&f);
	fx_open(&f);
	hv_snap *s = sample(&f, 1000000000ull);
	assert_false(hv_ok(by_name(s, "x86")->vcpu[1].kvm_exits));
	/* vCPU 0's row from its stats fd; the VM's not from half of them */
	assert_int_equal(4000, by_name(s, "x86")->vcpu[0].kvm_exits.v);
	assert_int_equal(1, by_name(s, "x86")->kvm_exits.v); /* debugfs */
	link_fd(&f, 900, 10, "anon_inode:kvm-vcpu-stats:1");
	put_blob(&f, 900, 10, "kvm-900/vcpu-1", x86_vcpu, N(x86_vcpu), 2);
	for (; n < 130; n++) {
		hv_snap_unref(s);
		s = sample(&f, 2000000000ull + (uint64_t)n * 1000000000ull);
		if (hv_ok(by_name(s, "x86")->vcpu[1].kvm_exits))
			break;
	}
	assert_true(n > 0);   /* not at the next sample: no walk per sample */
	assert_true(n < 130); /* but at the periodic rescan */
	assert_int_equal(8000, by_name(s, "x86")->vcpu[1].kvm_exits.v);
	assert_int_equal(12000, by_name(s, "x86")->kvm_exits.v);
	hv_snap_unref(s);
	fx_free(&f);
}

/* A stats fd that will not parse, and no permission: debugfs instead,
 * with the reason in the note. */
static void test_fallback(void **state)
{
	fx f;
	(void)state;

	build(&f);
	assert_int_equal(0, kf_put(f.dir, "900-8", "garbage", 7));
	fx_open(&f);
	hv_snap *a = sample(&f, 1000000000ull);
	const hv_dom *x = by_name(a, "x86");
	assert_int_equal(1, x->kvm_exits.v); /* debugfs */
	assert_int_equal(1, x->kvm_io_exits.v);
	assert_non_null(strstr(x->note, "kvm stats: header truncated"));
	assert_int_equal(3000, by_name(a, "arm")->kvm_exits.v);
	hv_snap_unref(a);
	/* the VMM's fd reads right at the next look: the note goes */
	put_blob(&f, 900, 8, "kvm-900/vcpu-0", x86_vcpu, N(x86_vcpu), 1);
	a = sample(&f, 2000000000ull);
	x = by_name(a, "x86");
	assert_int_equal(4000, x->kvm_exits.v);
	assert_null(strstr(x->note, "kvm stats"));
	hv_snap_unref(a);
	fx_free(&f);

	build(&f);
	f.eperm = 1;
	fx_open(&f);
	a = sample(&f, 1000000000ull);
	assert_int_equal(1, by_name(a, "arm")->kvm_exits.v);
	assert_non_null(strstr(by_name(a, "arm")->note, "not permitted"));
	assert_false(hv_ok(by_name(a, "arm")->vcpu[0].kvm_exits));
	hv_snap_unref(a);
	fx_free(&f);
}

static void gone_hook(void *arg, int phase)
{
	fx *f = arg;
	char rel[16];

	if (phase != 2 || !f->gone_pid)
		return;
	snprintf(rel, sizeof(rel), "%d", f->gone_pid);
	hvt_rm(f->h->proc, rel);
	f->gone_pid = 0;
}

/* The VMM exits: between samples, its stats fds (which hold the VM) are
 * closed with it; after the listing of a first sample, it is left out,
 * never half-filled. */
static void test_vanish(void **state)
{
	fx f;
	int fds0 = count_fds();
	(void)state;

	build(&f);
	fx_open(&f);
	hv_snap *a = sample(&f, 1000000000ull);
	hv_snap_unref(a);
	unsigned held = hv_kvm_cached_fds(f.priv);
	hvt_rm(f.h->proc, "700");
	a = sample(&f, 2000000000ull);
	assert_null(by_name(a, "arm"));
	assert_int_equal(4000, by_name(a, "x86")->kvm_exits.v);
	/* its /proc dir, stat, 2 x 2 vCPU files, 3 stats fds */
	assert_true(hv_kvm_cached_fds(f.priv) + 3 + 2 <= held);
	hv_snap_unref(a);
	fx_free(&f);

	build(&f);
	fx_open(&f);
	hv_kvm_set_hook(f.priv, gone_hook, &f);
	f.gone_pid = 700;
	a = sample(&f, 1000000000ull);
	assert_null(by_name(a, "arm"));
	assert_int_equal(4000, by_name(a, "x86")->kvm_exits.v);
	hv_snap_unref(a);
	fx_free(&f);
	assert_int_equal(fds0, count_fds());
}

/* A QEMU guest (no stats fds): KVM's statistics through its monitor's
 * query-stats, vCPUs told apart by query-cpus-fast's qom-paths, in place
 * of debugfs; a QEMU without query-stats or a TCG guest keeps debugfs. */
static void qmp_case(int mode, uint64_t exits, uint64_t vcpu1_wait)
{
	static const kf_vcpu v[] = {{.tid = 9101, .comm = "CPU 0/KVM"},
	                            {.tid = 9102, .comm = "CPU 1/KVM"}};
	static const char *const av[] = {
	    "qemu-system-x86_64", "-name", "q", "-smp", "2", NULL};
	kf_proc p = {.pid = 9100,
	             .comm = "qemu-system-x86",
	             .starttime = 77,
	             .argv = av,
	             .nvcpu = 2,
	             .vcpu = v};
	fq_opts fo = {.mode = FQ_OK, .tids = {9101, 9102}, .kvm_stats = mode};
	char sock[600], dirs[700];
	hv_backend_opts o = {.qmp_timeout_ms = 300};
	hv_err err = {0};
	fx f;

	build(&f);
	assert_int_equal(0, kf_write_proc(f.h->proc, &p));
	dbg(&f, 9100, "exits", 1);
	assert_int_equal(0, hvt_mkdir(f.h->run, "qmp"));
	snprintf(sock, sizeof(sock), "%s/qmp/q.qmp", f.h->run);
	snprintf(dirs, sizeof(dirs), "%s/qmp", f.h->run);
	o.qmp_dirs = dirs;
	fq *srv = fq_start(sock, &fo);
	assert_non_null(srv);
	assert_int_equal(0, hv_kvm_ops.open(&f.env, &o, &f.priv, &err));
	hv_snap *a = sample(&f, 1000000000ull);
	const hv_dom *q = by_name(a, "q");
	assert_non_null(q);
	assert_int_equal(exits, q->kvm_exits.v);
	if (mode == 1) { /* vCPU 0 at 1x, vCPU 1 at 2x, listed last first */
		assert_int_equal(900, q->kvm_io_exits.v);
		assert_int_equal(120, q->kvm_wait_exits.v);
		assert_int_equal(60, q->kvm_mmio_exits.v);
		assert_int_equal(HV_NA_UNSUPPORTED, q->kvm_irq_exits.why);
		assert_int_equal(1000, q->vcpu[0].kvm_exits.v);
		assert_int_equal(40, q->vcpu[0].kvm_wait_exits.v);
		assert_int_equal(2000, q->vcpu[1].kvm_exits.v);
	}
	assert_int_equal(vcpu1_wait ? HV_OK : HV_NA_UNSUPPORTED,
	                 q->vcpu[1].kvm_wait_exits.why);
	fq_set_scale(srv, 3);
	hv_snap *b = sample(&f, 3000000000ull);
	hv_rates *r = hv_rates_compute(a, b, &err);
	const hv_dom *q2 = by_name(b, "q");
	const hv_dom_rate *qr = hv_rates_dom(r, hv_snap_index(b, q2));
	if (mode == 1) {
		assert_true(fabs(qr->kvm_exits_ps - 3000.0) < 1e-6);
		assert_true(fabs(qr->vcpu[1].kvm_wait_ps - 80.0) < 1e-6);
	} else {
		assert_int_equal(1, q2->kvm_exits.v);
	}
	/* the monitor is asked in the same round: one connection each */
	assert_int_equal(2, fq_connections(srv));
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	fx_free(&f);
	fq_stop(srv);
}

static void test_qmp(void **state)
{
	(void)state;
	qmp_case(1, 3000, 80);
	qmp_case(0, 1, 0); /* QEMU < 7.1: debugfs */
	qmp_case(2, 1, 0); /* TCG: debugfs */
}

/* query-stats replies with garbage: wrong types, values past u64 or
 * negative, unknown providers and qom-paths, cpu-index out of range. */
static void test_qmp_garbage(void **state)
{
	static const char stats[] =
	    "[{\"provider\":\"kvm\",\"qom-path\":\"/c0\",\"stats\":["
	    "{\"name\":\"exits\",\"value\":1e30},"
	    "{\"name\":\"exits\",\"value\":-5},"
	    "{\"name\":\"exits\",\"value\":\"7\"},"
	    "{\"name\":\"halt_exits\",\"value\":[1,2]},"
	    "{\"name\":7,\"value\":1},{\"value\":1},3,"
	    "{\"name\":\"io_exits\",\"value\":9}]},"
	    "{\"provider\":\"xen\",\"qom-path\":\"/c0\",\"stats\":["
	    "{\"name\":\"exits\",\"value\":100}]},"
	    "{\"provider\":\"kvm\",\"qom-path\":\"/c1\",\"stats\":{}},"
	    "{\"provider\":\"kvm\",\"qom-path\":\"/c9\",\"stats\":["
	    "{\"name\":\"exits\",\"value\":4}]},"
	    "{\"provider\":\"kvm\"},17,null]";
	static const char cpus[] =
	    "[{\"qom-path\":\"/c0\",\"cpu-index\":0},"
	    "{\"qom-path\":\"/c1\",\"cpu-index\":-3},"
	    "{\"qom-path\":\"/c9\",\"cpu-index\":1e12},3]";
	cJSON *st = cJSON_Parse(stats), *cp = cJSON_Parse(cpus);
	struct hv_kvm_xsum vm = {0}, vc[2] = {0};
	(void)state;

	assert_non_null(st);
	assert_non_null(cp);
	assert_int_equal(4, hv_kvm_qmp_stats(st, cp, &vm, vc, 2));
	/* only the well-formed numbers count */
	assert_int_equal(4, vm.v[HV_KVM_XK_ALL]);
	assert_int_equal(9, vm.v[HV_KVM_XK_IO]);
	assert_false(vm.has[HV_KVM_XK_WAIT]);
	assert_true(vc[0].has[HV_KVM_XK_IO]);
	assert_int_equal(9, vc[0].v[HV_KVM_XK_IO]);
	assert_false(vc[0].has[HV_KVM_XK_ALL]);
	assert_false(vc[1].has[HV_KVM_XK_ALL]);
	assert_int_equal(0, hv_kvm_qmp_stats(cp, NULL, &vm, vc, 2));
	cJSON_Delete(st);
	cJSON_Delete(cp);
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(test_parse_x86),
	    cmocka_unit_test(test_parse_arm64),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_backend),
	    cmocka_unit_test(test_hotadd),
	    cmocka_unit_test(test_apic_ids),
	    cmocka_unit_test(test_fewer_fds),
	    cmocka_unit_test(test_fallback),
	    cmocka_unit_test(test_vanish),
	    cmocka_unit_test(test_qmp),
	    cmocka_unit_test(test_qmp_garbage),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
