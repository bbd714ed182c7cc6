/* SPDX-License-Identifier: MIT */
/* The platform-layer fixture shared by the plat_* tests: a fixture host
 * tree, its redirected env and an hv_plat opened on it. Include after
 * <cmocka.h>. */
#ifndef PLAT_FX_H
#define PLAT_FX_H

#include <stdlib.h>

#include "hv/platform.h"
#include "hvtest.h"

typedef struct fx {
	hvt_host *h;
	hv_env env;
	hv_plat *p;
} fx;

/* A new empty tree named after tag; the caller builds it, then fx_open. */
static inline fx *fx_new_tag(const char *tag)
{
	fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->h = hvt_host_new(tag);
	assert_non_null(f->h);
	hvt_host_env(f->h, &f->env);
	return f;
}

static inline void fx_open(fx *f)
{
	hv_err err = {0};
	if (hv_plat_open(&f->env, &f->p, &err))
		fail_msg("hv_plat_open: %s", err.msg);
}

static inline void fx_free(fx *f)
{
	hv_plat_close(f->p);
	hvt_host_free(f->h);
	free(f);
}

static inline hv_snap *fx_sample(fx *f)
{
	hv_snap *s = hv_snap_new();
	hv_err err = {0};
	assert_non_null(s);
	if (hv_plat_sample(f->p, s, &err))
		fail_msg("hv_plat_sample: %s", err.msg);
	return s;
}

#endif
