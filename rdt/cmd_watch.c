/* SPDX-License-Identifier: MIT */
/* hv-rdt watch: the noisy-neighbour policy as a dry run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/collector.h"
#include "rdt.h"
#include "rdt_policy.h"

static int parse_pos(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || !(v >= 0) || isinf(v))
		return -1;
	*out = v;
	return 0;
}

/* watch's arguments, "KEY VALUE" pairs, into cfg; RDT_USAGE when bad. */
static int watch_args(int argc, char **argv, rdt_policy_cfg *cfg)
{
	for (int i = 0; i < argc; i += 2) {
		double v;
		/* hold and calm 0 are refused: the policy reads 0 as its
		 * default */
		if (i + 1 >= argc || parse_pos(argv[i + 1], &v) ||
		    (v == 0 &&
		     (!strcmp(argv[i], "hold") || !strcmp(argv[i], "calm")))) {
			fprintf(stderr,
			        "hv-rdt: watch: bad or missing value for %s\n",
			        argv[i]);
			return RDT_USAGE;
		}
		if (!strcmp(argv[i], "llc-max"))
			cfg->llc_max_bytes = v;
		else if (!strcmp(argv[i], "mbm-max"))
			cfg->mbm_max_Bps = v;
		else if (!strcmp(argv[i], "hold"))
			cfg->hold_s = v;
		else if (!strcmp(argv[i], "calm"))
			cfg->calm_s = v;
		else {
			fprintf(stderr, "hv-rdt: watch: unknown %s\n", argv[i]);
			return RDT_USAGE;
		}
	}
	return 0;
}

/* One sample through the policy; what it would do, on stdout. */
static int watch_step(const rdt_opts *o, const rdt_policy_cfg *cfg,
                      rdt_policy *pol, const hv_snap *s)
{
	rdt_policy_action act[64];
	size_t n = hv_snap_ndom(s), na;
	rdt_policy_in *in = calloc(n ? n : 1, sizeof(*in));

	if (!in)
		return -1;
	n = rdt_policy_inputs(s, in, n);
	na = rdt_policy_step(pol, (double)hv_snap_mono_ns(s) / 1e9, in, n, act,
	                     sizeof(act) / sizeof(act[0]));
	for (size_t i = 0; i < na; i++) {
		const hv_dom *d = hv_snap_find_key(s, act[i].key);
		const char *what =
		    act[i].act == RDT_ACT_RESTRICT ? "restrict" : "release";
		if (o->json)
			printf("{\"id\":%u,\"action\":\"%s\",\"class\":"
			       "\"%s\",\"dry_run\":true}\n",
			       act[i].id, what,
			       act[i].act == RDT_ACT_RESTRICT
			           ? cfg->restricted_class
			           : "previous");
		else
			printf("would %s domain %u (%s): %s\n", what, act[i].id,
			       d ? d->name : "?", act[i].reason);
	}
	fflush(stdout);
	free(in);
	return 0;
}

int rdt_cmd_watch(rdt_ctx *ctx, int argc, char **argv)
{
	const rdt_opts *o = &ctx->o;
	rdt_policy_cfg cfg = {0};
	rdt_policy *pol = NULL;
	hv_backend *b = NULL;
	hv_collector *c = NULL;
	hv_collector_opts co = {.period_s = o->delay};
	hv_err e = {0};
	sigset_t set;
	int ret;

	if ((ret = watch_args(argc, argv, &cfg)))
		return ret;
	if (!(pol = rdt_policy_new(&cfg))) {
		fprintf(stderr, "hv-rdt: watch: give llc-max BYTES and/or "
		                "mbm-max BYTES_PER_S\n");
		return RDT_USAGE;
	}
	rdt_policy_defaults(&cfg);
	rdt_block_signals(&set);
	ret = RDT_FAIL;
	if (rdt_open_backend(ctx, 0, &b, &e) ||
	    hv_collector_new(b, &co, &c, &e)) {
		fprintf(stderr, "hv-rdt: %s\n", e.msg);
		goto out;
	}
	for (long it = 0; o->iters < 0 || it < o->iters; it++) {
		if (hv_collector_step(c, &e)) {
			fprintf(stderr, "hv-rdt: sample: %s\n", e.msg);
			goto out;
		}
		hv_snap *s = hv_collector_latest(c);
		int r = watch_step(o, &cfg, pol, s);
		hv_snap_unref(s);
		if (r)
			goto out;
		if ((o->iters < 0 || it + 1 < o->iters) &&
		    rdt_wait_or_signal(&set, o->delay))
			break;
	}
	ret = 0;
out:
	rdt_policy_free(pol);
	hv_collector_free(c);
	hv_backend_close(b);
	return ret;
}
