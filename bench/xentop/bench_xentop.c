/* SPDX-License-Identifier: MIT */
/* xentop-ng's CPU cost: the real screen code (Machine, Table, ncurses
 * render) on the synth backend with thousands of domains at a 1 s refresh,
 * drawing into an off-screen terminal (/dev/null). Prints CPU seconds per
 * wall second of the UI thread and of the collector thread, and, as the
 * baseline measured in the same run, what xentop's way costs for the same
 * snapshots: formatting the whole table (xentop -b text) every refresh.
 *
 *   bench_xentop [domains=5000] [seconds=10] [vcpus=2]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "xt.h"

static double now(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double ru(int who)
{
	struct rusage r;
	getrusage(who, &r);
	return (double)r.ru_utime.tv_sec + (double)r.ru_utime.tv_usec / 1e6 +
	       (double)r.ru_stime.tv_sec + (double)r.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	unsigned ndom = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 5000;
	double secs = argc > 2 ? strtod(argv[2], NULL) : 10;
	unsigned nvcpu = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 2;
	xt_opts o;
	xt_machine m;
	hv_err e = {0};

	xt_opts_default(&o);
	o.delay_s = 1.0;
	o.backend = "synth";
	o.synth_domains = ndom;
	o.synth_vcpus = nvcpu;
	o.color = true;
	snprintf(o.sort, sizeof(o.sort), "cpu_pct");
	setenv("LINES", "50", 1);
	setenv("COLUMNS", "200", 1);
	if (xt_machine_open(&m, &o, &e) || xt_machine_start(&m, &e)) {
		fprintf(stderr, "bench_xentop: %s\n", e.msg);
		return 1;
	}
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	xt_ui *u = xt_ui_new(&m, &o, out, in, "xterm-256color");
	if (!u) {
		fprintf(stderr, "bench_xentop: cannot create the screen\n");
		return 1;
	}
	xt_ui_render(u);

	/* The real loop's schedule: wake every 100 ms, render on a new
	 * sample. */
	double w0 = now(CLOCK_MONOTONIC), ui0 = ru(RUSAGE_THREAD),
	       all0 = ru(RUSAGE_SELF);
	unsigned frames = 0;
	while (now(CLOCK_MONOTONIC) - w0 < secs) {
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
		if (xt_machine_poll(&m)) {
			xt_ui_render(u);
			frames++;
		}
	}
	double wall = now(CLOCK_MONOTONIC) - w0;
	double ui = ru(RUSAGE_THREAD) - ui0;
	double col = ru(RUSAGE_SELF) - all0 - ui;
	hv_collector_stats st;
	hv_collector_stats_get(m.col, &st);

	/* A key press: redraw from the held snapshot, no rebuild. */
	double k0 = now(CLOCK_THREAD_CPUTIME_ID);
	for (int i = 0; i < 20; i++) {
		xt_ui_key(u, 'j');
		xt_ui_render(u);
	}
	double key_ms = (now(CLOCK_THREAD_CPUTIME_ID) - k0) / 20 * 1e3;

	/* Baseline: xentop's approach, the whole table formatted each
	 * refresh (as xentop -b does), for the same snapshot. */
	xt_table t;
	xt_table_init(&t);
	xt_ctx c = {.s = m.cur, .h = hv_snap_host(m.cur)};
	t.sort_col = xt_col_find("cpu_pct");
	double b0 = now(CLOCK_THREAD_CPUTIME_ID);
	int reps = 5;
	for (int i = 0; i < reps; i++) {
		xt_table_build(&t, m.cur, &c);
		xt_batch_print(out, &t, &c, &o);
	}
	double full_ms = (now(CLOCK_THREAD_CPUTIME_ID) - b0) / reps * 1e3;
	double frame_ms = frames ? ui / frames * 1e3 : 0;

	printf("bench_xentop: %u domains x %u vCPUs, synth backend, 1 s "
	       "refresh, %.1f s wall, %u frames (200x50 off-screen)\n",
	       ndom, nvcpu, wall, frames);
	printf("  UI thread        %.4f CPU s/s = %.2f%% of one core "
	       "(%.2f ms per frame incl. rebuild+sort)\n",
	       ui / wall, 100 * ui / wall, frame_ms);
	printf("  collector thread %.4f CPU s/s = %.2f%% of one core "
	       "(%.2f ms CPU per sample incl. rates, %llu samples)\n",
	       col / wall, 100 * col / wall, frames ? col / frames * 1e3 : 0,
	       (unsigned long long)st.samples);
	printf("  key press redraw %.3f ms (no resample, no re-sort)\n",
	       key_ms);
	printf("  baseline: whole table as xentop -b text %.2f ms per refresh "
	       "= %.2f%% of one core at 1 s; screen frame is %.2fx that\n",
	       full_ms, full_ms / 10, full_ms > 0 ? frame_ms / full_ms : 0);
	printf("  target UI < 1%% of one core: %s\n",
	       100 * ui / wall < 1 ? "met" : "NOT met");
	xt_table_free(&t);
	xt_ui_free(u);
	fclose(out);
	fclose(in);
	xt_machine_close(&m);
	return 0;
}
