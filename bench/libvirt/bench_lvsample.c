/* SPDX-License-Identifier: MIT */
/* bench_lvsample: on the real host (libvirt guests running), in one run:
 *   - libvirt's bulk call (virConnectGetAllDomainStats through hvkit's
 *     source): median duration;
 *   - a kvm-backend sample without libvirt (procfs only, uri "none") and
 *     with it, in alternating rounds: median cost of each and the ratio.
 * Usage: bench_lvsample [rounds] [uri]. Prints "key value" lines (ms) for
 * bench/libvirt/bench_libvirt.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hv/backend.h"
#include "hv/sample.h"
#include "libvirt/lv_int.h"

#define PER_ROUND 5

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double median_ms(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n ? (double)v[n / 2] / 1e6 : 0;
}

/* Steady samples of a fresh backend: one cold sample, then PER_ROUND
 * timed ones 100 ms apart (the libvirt table of each is from the call the
 * previous one asked for). */
static int round_of(const hv_env *env, const char *uri, uint64_t *out,
                    size_t *n, size_t *ndom, int *lv_doms)
{
	hv_backend_opts o = {.name = "kvm", .libvirt_uri = uri};
	hv_backend *b = NULL;
	hv_err err = {0};
	hv_snap *s = NULL;
	struct timespec gap = {0, 100000000};

	if (hv_backend_open(env, &o, &b, &err))
		return fprintf(stderr, "bench_lvsample: %s\n", err.msg), -1;
	for (int i = 0; i <= PER_ROUND; i++) {
		nanosleep(&gap, NULL);
		hv_snap_unref(s);
		s = NULL;
		if (hv_backend_sample(b, &s, &err))
			return fprintf(stderr, "bench_lvsample: %s\n", err.msg),
			       -1;
		if (i)
			out[(*n)++] = hv_snap_cost_ns(s);
	}
	*ndom = hv_snap_ndom(s);
	*lv_doms = 0;
	for (size_t i = 0; i < *ndom; i++)
		*lv_doms += (hv_snap_dom(s, i)->sources & HV_SRC_LIBVIRT) != 0;
	hv_snap_unref(s);
	hv_backend_close(b);
	return 0;
}

/* Bulk calls through the source: each poll asks for the next call, the
 * table it returns records how long its call took. */
static double bulk_ms(const char *uri, int calls, size_t *ndom)
{
	hv_lv *lv = hv_lv_new(uri, 30000);
	uint64_t *d = calloc((size_t)calls, sizeof(*d));
	size_t n = 0;
	uint64_t last = 0;
	char why[HV_LV_WHY_LEN];
	double m;

	*ndom = 0;
	for (int i = 0; lv && d && n < (size_t)calls && i < calls * 50; i++) {
		enum hv_lv_status st;
		hv_lv_tab *t = hv_lv_poll(lv, &st, why, sizeof(why));
		struct timespec gap = {0, 20000000};
		if (t && st == HV_LV_OK && t->call_mono_ns != last) {
			last = t->call_mono_ns;
			d[n++] = t->dur_ns;
			*ndom = t->ndom;
		}
		hv_lv_tab_unref(t);
		nanosleep(&gap, NULL);
	}
	m = median_ms(d, n);
	free(d);
	hv_lv_free(lv);
	return n ? m : -1;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 6;
	const char *uri = argc > 2 ? argv[2] : HV_LV_DEFAULT_URI;
	hv_env env;
	hv_err err = {0};
	uint64_t *a, *b;
	size_t na = 0, nb = 0, ndom = 0, lvdom = 0;
	int lvd = 0;
	double bulk, ma, mb;

	if (rounds < 1 || rounds > 100)
		rounds = 6;
	hv_env_raise_nofile();
	if (hv_env_init(&env, &err))
		return fprintf(stderr, "bench_lvsample: %s\n", err.msg), 1;
	a = calloc((size_t)rounds * PER_ROUND, sizeof(*a));
	b = calloc((size_t)rounds * PER_ROUND, sizeof(*b));
	if (!a || !b)
		return 1;
	for (int r = 0; r < rounds; r++) {
		if (round_of(&env, "none", a, &na, &ndom, &lvd) ||
		    round_of(&env, uri, b, &nb, &ndom, &lvd))
			return 1;
	}
	bulk = bulk_ms(uri, 2 * rounds + 1, &lvdom);
	ma = median_ms(a, na);
	mb = median_ms(b, nb);
	printf("domains %zu\nlibvirt_domains %zu\nmerged_domains %d\n", ndom,
	       lvdom, lvd);
	printf("bulk_call_ms %.3f\n", bulk);
	printf("sample_procfs_ms %.3f\nsample_libvirt_ms %.3f\n", ma, mb);
	printf("sample_ratio %.2f\n", ma > 0 ? mb / ma : 0);
	free(a);
	free(b);
	return 0;
}
