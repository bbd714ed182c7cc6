/* SPDX-License-Identifier: MIT */
/* xentop-ng: entry point. Batch, JSON and CSV loops live here; the
 * interactive screen is in tui.c. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xt.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
	while (!stop_flag && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int run_stream(xt_machine *m, const xt_opts *o)
{
	xt_table t;
	hv_err e = {0};
	int status = 0;
	xt_table_init(&t);
	t.sort_col = xt_col_find(o->sort);
	if (t.sort_col < 0)
		t.sort_col = 0;
	t.reverse = o->reverse;
	t.dom0_first = o->dom0_first;
	snprintf(t.filter, sizeof(t.filter), "%s", o->filter);
	if (o->mode == XT_CSV) {
		puts(XT_CSV_HEADER);
		fflush(stdout);
	}
	for (long it = 0; !stop_flag; it++) {
		if (xt_machine_step(m, &e)) {
			/* The end of a recording is the normal end of a
			 * replay. */
			if (o->replay && e.code == ENODATA)
				break;
			fprintf(stderr, "xentop-ng: %s\n", e.msg);
			status = 1;
			break;
		}
		xt_ctx c = {.s = m->cur,
		            .h = hv_snap_host(m->cur),
		            .host_pct = o->host_pct,
		            .full_name = o->full_name};
		if (o->mode == XT_BATCH) {
			if (xt_table_build(&t, m->cur, &c)) {
				fprintf(stderr, "xentop-ng: out of memory\n");
				status = 1;
				break;
			}
			xt_batch_print(stdout, &t, &c, o);
			fflush(stdout);
		} else if (o->mode == XT_JSON) {
			xt_json_print(stdout, m->cur, &c);
		} else {
			xt_csv_print(stdout, m->cur, &c);
		}
		if (ferror(stdout)) {
			status = 1; /* e.g. EPIPE: the reader went away */
			break;
		}
		if (o->iterations && it + 1 >= o->iterations)
			break;
		/* A recording carries its own timestamps: no need to wait. */
		if (!o->replay)
			sleep_s(o->delay_s);
	}
	xt_table_free(&t);
	return status;
}

int main(int argc, char **argv)
{
	xt_opts o;
	xt_machine m;
	hv_err e = {0};
	char cfg[4096] = "";
	int rc;

	setlocale(LC_ALL, "");
	xt_opts_default(&o);
	rc = xt_opts_parse(&o, argc, argv, stdout, stderr);
	if (rc)
		return rc > 0 ? 0 : 2;
	if (o.mode == XT_TUI && !o.no_config &&
	    xt_config_path(cfg, sizeof(cfg)) == 0) {
		/* Settings file first, then the command line wins. */
		char msg[256];
		xt_opts_default(&o);
		xt_config_load(&o, cfg, msg, sizeof(msg));
		if (msg[0])
			fprintf(stderr, "xentop-ng: %s\n", msg);
		xt_opts_parse(&o, argc, argv, stdout, stderr);
	}
	if (o.no_config)
		cfg[0] = 0;
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		o.color = false;

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	hv_env_raise_nofile(); /* room for the kvm backend's fd cache */
	if (xt_machine_open(&m, &o, &e)) {
		fprintf(stderr, "xentop-ng: %s\n", e.msg);
		return 1;
	}
	if (o.mode == XT_TUI)
		rc = xt_tui_run(&m, &o, cfg[0] ? cfg : NULL);
	else
		rc = run_stream(&m, &o);
	xt_machine_close(&m);
	return rc;
}
