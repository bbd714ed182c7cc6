/* hvxen-dump: the Xen testbed's view through libhv only (the e2e test runs
 * it inside dom0 next to Xen's own xentop, xenpm and xl).
 *   hvxen-dump top [-d SEC] [-i N]   xentop -b's columns from hv snapshots
 *   hvxen-dump pcpu                  per-pCPU idle, C-states, P-states
 *   hvxen-dump get KNOB              a knob's value
 *   hvxen-dump set KNOB VALUE        set it; prints the change or the reason
 *   hvxen-dump cost [N]              time N samples through libhv and N
 *                                    xenstat_get_node(XENSTAT_ALL) calls
 *                                    (xentop's collection) in this process
 * Exit 0 on success, 1 on a refused/failed operation, 2 on usage. */
#include <errno.h>
#include <execinfo.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenstat.h>

#include "hv/backend.h"
#include "hv/env.h"
#include "hv/sample.h"

static int open_xen(hv_backend **b)
{
	hv_env env;
	hv_err err = {0};
	hv_backend_opts o = {.name = "xen"};

	if (hv_env_init(&env, &err) < 0 ||
	    hv_backend_open(&env, &o, b, &err) < 0) {
		fprintf(stderr, "hvxen-dump: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static hv_snap *sample(hv_backend *b)
{
	hv_err err = {0};
	hv_snap *s = NULL;

	if (hv_backend_sample(b, &s, &err) < 0) {
		fprintf(stderr, "hvxen-dump: sample: %s\n", err.msg);
		return NULL;
	}
	return s;
}

static uint64_t u(hv_u64 x)
{
	return hv_ok(x) ? x.v : 0;
}

static void states(uint32_t st, char out[7])
{
	static const struct {
		uint32_t bit;
		char c;
	} m[] = {{HV_DS_DYING, 'd'},   {HV_DS_SHUTDOWN, 's'},
	         {HV_DS_BLOCKED, 'b'}, {HV_DS_CRASHED, 'c'},
	         {HV_DS_PAUSED, 'p'},  {HV_DS_RUNNING, 'r'}};
	for (int i = 0; i < 6; i++)
		out[i] = (st & m[i].bit) ? m[i].c : '-';
	out[6] = '\0';
}

static void print_top(const hv_snap *prev, const hv_snap *cur)
{
	const hv_host *h = hv_snap_host(cur);
	double dt = (double)(hv_snap_mono_ns(cur) - hv_snap_mono_ns(prev));
	uint64_t tot_k = u(h->mem_total_kib);

	printf("      NAME  STATE   CPU(sec) CPU(%%)     MEM(k) MEM(%%)  "
	       "MAXMEM(k) MAXMEM(%%) VCPUS NETS NETTX(k) NETRX(k) VBDS   "
	       "VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  VBD_WSECT SSID\n");
	for (size_t i = 0; i < hv_snap_ndom(cur); i++) {
		const hv_dom *d = hv_snap_dom(cur, i);
		const hv_dom *p = hv_snap_find_key(prev, d->key);
		char st[7];
		double pct = 0;
		uint64_t tx = 0, rx = 0, oo = 0, rd = 0, wr = 0, rs = 0, ws = 0;

		if (p && dt > 0 && u(d->cpu_ns) >= u(p->cpu_ns))
			pct =
			    (double)(u(d->cpu_ns) - u(p->cpu_ns)) * 100.0 / dt;
		states(d->state, st);
		/* xentop's NETTX/NETRX are dom0's vif counters (the host's
		 * side: NETRX is what the guest sent), while hv_net is the
		 * guest's side; verified on the testbed with one-way traffic. */
		for (uint32_t j = 0; j < d->nr_net; j++) {
			tx += u(d->net[j].rx_bytes);
			rx += u(d->net[j].tx_bytes);
		}
		for (uint32_t j = 0; j < d->nr_blk; j++) {
			oo += u(d->blk[j].oo_reqs);
			rd += u(d->blk[j].rd_reqs);
			wr += u(d->blk[j].wr_reqs);
			rs += u(d->blk[j].rd_bytes) / 512;
			ws += u(d->blk[j].wr_bytes) / 512;
		}
		printf(
		    "%10s %6s %10" PRIu64 " %6.1f %10" PRIu64 " %6.1f ",
		    d->name, st, u(d->cpu_ns) / 1000000000u, pct, u(d->mem_kib),
		    tot_k ? (double)u(d->mem_kib) * 100.0 / (double)tot_k : 0);
		if (hv_ok(d->maxmem_kib))
			printf("%10" PRIu64 " %9.1f ", d->maxmem_kib.v,
			       tot_k ? (double)d->maxmem_kib.v * 100.0 /
			                   (double)tot_k
			             : 0);
		else
			printf("  no limit       n/a ");
		printf("%5u %4u %8" PRIu64 " %8" PRIu64 " %4u %8" PRIu64
		       " %8" PRIu64 " %8" PRIu64 " %10" PRIu64 " %10" PRIu64
		       " %4u\n",
		       d->nr_vcpus, d->nr_net, tx / 1024, rx / 1024, d->nr_blk,
		       oo, rd, wr, rs, ws, d->ssid);
	}
	fflush(stdout);
}

/* As xentop -b: the first iteration right away (CPU% 0.0: no interval
 * yet), then one per delay, so the last iterations of both cover the same
 * interval when they are started together. */
static int cmd_top(hv_backend *b, int delay, int iters)
{
	hv_snap *prev = sample(b);

	if (!prev)
		return 1;
	print_top(prev, prev);
	for (int i = 1; i < iters; i++) {
		sleep((unsigned)delay);
		hv_snap *cur = sample(b);
		if (!cur) {
			hv_snap_unref(prev);
			return 1;
		}
		print_top(prev, cur);
		hv_snap_unref(prev);
		prev = cur;
	}
	hv_snap_unref(prev);
	return 0;
}

static int cmd_pcpu(hv_backend *b)
{
	hv_snap *s = sample(b);
	hv_err err = {0};
	char val[64];

	if (!s)
		return 1;
	const hv_host *h = hv_snap_host(s);
	printf("host backend=%s version=%s nr_pcpu=%u cpu_khz=%u "
	       "mem_total_kib=%" PRIu64 " arch=%s cpu_model=\"%s\"\n",
	       h->backend, h->hv_version, h->nr_pcpu, h->cpu_khz,
	       u(h->mem_total_kib), h->arch, h->cpu_model);
	for (uint32_t i = 0; i < h->nr_pcpu; i++) {
		const hv_pcpu *c = &h->pcpu[i];
		printf("pcpu %u online=%d pkg=%d core=%d idle_ns=%" PRIu64
		       " busy_ns=%" PRIu64 " nr_cstate=%u",
		       c->id, c->online, c->pkg, c->core, u(c->idle_ns),
		       u(c->busy_ns), c->nr_cstate);
		for (uint32_t j = 0; j < c->nr_cstate; j++)
			printf(" %s=%" PRIu64 "/%" PRIu64, c->cstate[j].name,
			       u(c->cstate[j].time_ns), u(c->cstate[j].usage));
		printf(" nr_pstate=%u", c->nr_pstate);
		for (uint32_t j = 0; j < c->nr_pstate; j++)
			printf(" P%u=%" PRIu64 "/%" PRIu64, j, c->pstate[j].khz,
			       u(c->pstate[j].time_ns));
		if (hv_ok(c->cur_khz))
			printf(" cur_khz=%" PRIu64 " min_khz=%" PRIu64
			       " max_khz=%" PRIu64,
			       c->cur_khz.v, u(c->min_khz), u(c->max_khz));
		else
			printf(" cur_khz=%s", hv_why_str(c->cur_khz.why));
		printf(" governor=%s driver=%s\n",
		       c->governor[0] ? c->governor : "-",
		       c->driver[0] ? c->driver : "-");
	}
	for (uint32_t i = 0; i < h->nr_pcpu && i < 2; i++) {
		char knob[32];
		snprintf(knob, sizeof(knob), "cpu/%u/governor", i);
		if (hv_knob_get(b, knob, val, sizeof(val), &err) == 0)
			printf("pstates cpu%u governor=%s\n", i, val);
		else
			printf("pstates cpu%u unsupported: %s\n", i, err.msg);
	}
	if (hv_knob_get(b, "xen/max_cstate", val, sizeof(val), &err) == 0)
		printf("max_cstate %s\n", val);
	hv_snap_unref(s);
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmd_cost(hv_backend *b, int n)
{
	xenstat_handle *xh = xenstat_init();
	uint64_t t, ours = 0, theirs = 0;
	size_t ndom = 0;

	if (!xh) {
		fprintf(stderr, "hvxen-dump: xenstat_init failed\n");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		t = now_ns();
		hv_snap *s = sample(b);
		ours += now_ns() - t;
		if (!s)
			break;
		ndom = hv_snap_ndom(s);
		hv_snap_unref(s);
		t = now_ns();
		xenstat_node *node = xenstat_get_node(xh, XENSTAT_ALL);
		theirs += now_ns() - t;
		if (node)
			xenstat_free_node(node);
	}
	xenstat_uninit(xh);
	printf("cost domains=%zu samples=%d hvkit_ms=%.3f libxenstat_ms=%.3f "
	       "(hvkit includes host pCPU, C-state and P-state reads)\n",
	       ndom, n, (double)ours / n / 1e6, (double)theirs / n / 1e6);
	return 0;
}

/* A crash inside dom0 leaves no core to look at: print the stack. */
static void on_fault(int sig)
{
	void *bt[32];
	/* Not async-signal-safe, but the process is dying anyway. */
	int n = backtrace(bt, 32); /* NOLINT(bugprone-signal-handler) */

	(void)sig;
	(void)!write(2, "hvxen-dump: fatal signal, backtrace:\n", 37);
	backtrace_symbols_fd(bt, n, 2); /* NOLINT(bugprone-signal-handler) */
	_exit(3);
}

int main(int argc, char **argv)
{
	signal(SIGSEGV, on_fault);
	signal(SIGABRT, on_fault);
	hv_backend *b = NULL;
	hv_err err = {0};
	int rc = 2;

	if (argc < 2) {
		fprintf(stderr,
		        "usage: hvxen-dump top [-d S] [-i N] | pcpu | get "
		        "KNOB | set KNOB VALUE\n");
		return 2;
	}
	if (open_xen(&b) < 0)
		return 1;
	if (strcmp(argv[1], "top") == 0) {
		int d = 3, n = 1;
		for (int i = 2; i < argc; i++) {
			if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
				d = (int)strtol(argv[++i], NULL, 10);
			else if (strcmp(argv[i], "-i") == 0 && i + 1 < argc)
				n = (int)strtol(argv[++i], NULL, 10);
			/* -b (batch) is the only mode */
		}
		rc = cmd_top(b, d > 0 ? d : 1, n > 0 ? n : 1);
	} else if (strcmp(argv[1], "cost") == 0) {
		int n = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 20;
		rc = cmd_cost(b, n > 0 ? n : 20);
	} else if (strcmp(argv[1], "pcpu") == 0) {
		rc = cmd_pcpu(b);
	} else if (strcmp(argv[1], "get") == 0 && argc == 3) {
		char val[64];
		rc = hv_knob_get(b, argv[2], val, sizeof(val), &err) == 0 ? 0
		                                                          : 1;
		if (rc == 0)
			printf("%s=%s\n", argv[2], val);
		else
			printf("%s: error: %s\n", argv[2], err.msg);
	} else if (strcmp(argv[1], "set") == 0 && argc == 4) {
		hv_change chg;
		rc = hv_knob_set(b, argv[2], argv[3], &chg, &err) == 0 ? 0 : 1;
		if (rc == 0)
			printf("%s: %s -> %s\n", chg.knob, chg.old, chg.new_);
		else
			printf("%s: refused: %s\n", argv[2], err.msg);
	}
	hv_backend_close(b);
	return rc;
}
