/* Cost of the core per sample as domains grow: building a snapshot (synth),
 * sealing it, computing rates, N hashed lookups and an O(N log N) sort by
 * CPU%. Prints per-domain costs and the growth ratio between sizes; a
 * linear-time core shows a per-domain cost that stays flat. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hv/backend.h"
#include "hv/rates.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const hv_rates *g_r;
static int by_cpu(const void *a, const void *b)
{
	double x = hv_rates_dom(g_r, *(const size_t *)a)->cpu_pct;
	double y = hv_rates_dom(g_r, *(const size_t *)b)->cpu_pct;
	return (x < y) - (x > y);
}

struct fig {
	double sample, rates, lookup, sort;
};

static int run(unsigned ndom, unsigned reps, struct fig *f)
{
	hv_env env;
	hv_err e;
	hv_backend *b;
	hv_backend_opts o = {
	    .name = "synth", .synth_domains = ndom, .synth_vcpus = 4};
	hv_snap *prev = NULL, *cur = NULL;
	size_t *idx = malloc(ndom * sizeof(*idx));

	if (!idx || hv_env_init(&env, &e) ||
	    hv_backend_open(&env, &o, &b, &e)) {
		fprintf(stderr, "bench: %s\n", e.msg);
		free(idx);
		return 1;
	}
	*f = (struct fig){0};
	for (unsigned r = 0; r < reps; r++) {
		double t0 = now();
		hv_backend_sample(b, &cur, &e);
		double t1 = now();
		hv_rates *rt = hv_rates_compute(prev, cur, &e);
		double t2 = now();
		unsigned hits = 0;
		for (unsigned i = 0; i < ndom; i++)
			hits += hv_snap_find_id(cur, i + 1) != NULL;
		double t3 = now();
		for (size_t i = 0; i < ndom; i++)
			idx[i] = i;
		g_r = rt;
		qsort(idx, ndom, sizeof(*idx), by_cpu);
		double t4 = now();
		if (hits != ndom)
			fprintf(stderr, "bench: lookup missed\n");
		if (r) { /* the first round has no previous sample */
			f->sample += t1 - t0;
			f->rates += t2 - t1;
			f->lookup += t3 - t2;
			f->sort += t4 - t3;
		}
		hv_rates_free(rt);
		hv_snap_unref(prev);
		prev = cur;
	}
	f->sample /= reps - 1;
	f->rates /= reps - 1;
	f->lookup /= reps - 1;
	f->sort /= reps - 1;
	hv_snap_unref(prev);
	hv_backend_close(b);
	free(idx);
	return 0;
}

int main(void)
{
	static const unsigned sizes[] = {1000, 5000, 20000};
	struct fig f[3];

	printf("libhv core per sample (synth backend, 4 vCPUs, 2 NICs, 2 disks "
	       "per domain)\n");
	printf("%8s %12s %12s %12s %12s %14s\n", "domains", "sample ms",
	       "rates ms", "lookups ms", "sort ms", "rates us/dom");
	for (int i = 0; i < 3; i++) {
		if (run(sizes[i], 6, &f[i]))
			return 1;
		printf("%8u %12.3f %12.3f %12.3f %12.3f %14.3f\n", sizes[i],
		       f[i].sample * 1e3, f[i].rates * 1e3, f[i].lookup * 1e3,
		       f[i].sort * 1e3, f[i].rates * 1e6 / sizes[i]);
	}
	/* Growth per domain from 1k to 20k: 1.0 is linear; N log N sorting
	 * allows log(20000)/log(1000) = 1.43. */
	printf("per-domain cost ratio 20k/1k: rates %.2f, lookups %.2f, sort "
	       "%.2f (N log N bound %.2f)\n",
	       (f[2].rates / 20000) / (f[0].rates / 1000),
	       (f[2].lookup / 20000) / (f[0].lookup / 1000),
	       (f[2].sort / 20000) / (f[0].sort / 1000),
	       log(20000) / log(1000));
	return 0;
}
