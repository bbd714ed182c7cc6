/* SPDX-License-Identifier: MIT */
/* hv-powerd's config file through libhv's reader (hv/cfg.h): [daemon]
 * here, every other section from its policy's entry (policy/). */
#include "pd_config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/cfg.h"
#include "policy/pd_pol.h"

static const hv_cfg_key daemon_keys[] = {
    {"daemon", "period", HV_CFG_SECS, PD_OFF(period_s), 0.05, 3600, "1",
     "decision round", NULL, NULL},
    {"daemon", "backend", HV_CFG_WORD, PD_OFF(backend), 0, 16, "",
     "kvm, xen or synth (empty: detect)", NULL, NULL},
    {0},
};

/* Every entry of the policy table, in the file's documented order
 * (hv-powerd.8, the examples, "known: ..."); the table itself is in
 * priority order. */
static const pd_policy *const sections[] = {
    &pd_pol_frequency, &pd_pol_parking, &pd_pol_latency, &pd_pol_hwerr,
    &pd_pol_budget,    &pd_pol_energy,  &pd_pol_noisy,
};
#define NSECT (sizeof(sections) / sizeof(sections[0]))

/* The reader's spec: [daemon], then each section's keys. */
typedef struct spec_buf {
	const hv_cfg_key *tables[NSECT + 2];
	hv_cfg_spec spec;
} spec_buf;

static const hv_cfg_spec *spec_of(spec_buf *b)
{
	b->tables[0] = daemon_keys;
	for (size_t i = 0; i < NSECT; i++)
		b->tables[i + 1] = sections[i]->keys;
	b->tables[NSECT + 1] = NULL;
	b->spec = (hv_cfg_spec){b->tables, HV_CFG_SECTIONS | HV_CFG_ONCE};
	return &b->spec;
}

const hv_cfg_key *pd_config_key(size_t i)
{
	spec_buf b;

	return hv_cfg_key_at(spec_of(&b), i);
}

void pd_config_defaults(pd_config *c)
{
	spec_buf b;

	memset(c, 0, sizeof(*c));
	/* cannot fail: powerd_config checks every default */
	hv_cfg_defaults(spec_of(&b), c, NULL);
}

unsigned long pd_khz_resolve(pd_khz k, unsigned long hw_max_khz)
{
	if (!k.pct)
		return (unsigned long)k.v;
	if (!hw_max_khz)
		return 0;
	return (unsigned long)llround(k.v * (double)hw_max_khz / 100.0);
}

int pd_cfg_khz(const hv_cfg_key *k, void *obj, char *v, char *why, size_t wlen)
{
	size_t n = strlen(v);
	bool pct = n > 0 && v[n - 1] == '%';
	char *end;
	double d;

	if (pct)
		v[n - 1] = '\0';
	errno = 0;
	d = strtod(v, &end);
	if (!*v || *v == ' ' || *v == '\t' || errno || end == v || *end ||
	    !isfinite(d) || d <= 0 || (pct && d > 100) ||
	    (!pct && (d != floor(d) || d > 1e9))) {
		snprintf(why, wlen,
		         "expected kHz (e.g. 1200000) or a percentage of the "
		         "maximum (e.g. 60%%), got '%s%s'",
		         v, pct ? "%" : "");
		return -EINVAL;
	}
	*(pd_khz *)((char *)obj + k->off) = (pd_khz){d, pct};
	return 0;
}

unsigned pd_cfg_line(const hv_cfg_lines *l, const char *sect, const char *key)
{
	unsigned n = hv_cfg_line(l, sect, key);

	return n ? n : hv_cfg_line(l, sect, "enabled");
}

/* text, or the file at path when text is NULL; then the checks. */
static int read_config(const char *name, const char *text, pd_config *out,
                       hv_err *err)
{
	spec_buf b;
	const hv_cfg_spec *spec = spec_of(&b);
	pd_config c;
	hv_cfg_lines *l = NULL;
	int rc;

	pd_config_defaults(&c);
	rc = text ? hv_cfg_parse(spec, name, text, &c, sizeof(c), &l, err)
	          : hv_cfg_load(spec, name, &c, sizeof(c), &l, err);
	/* Checks across keys name the line of the key that conflicts (or of
	 * the section's enable when the key was left at its default). */
	for (size_t i = 0; i < NSECT && !rc; i++)
		if (sections[i]->check)
			rc = sections[i]->check(&c, name, l, err);
	if (!rc)
		*out = c;
	hv_cfg_lines_free(l);
	return rc;
}

int pd_config_parse(const char *name, const char *text, pd_config *out,
                    hv_err *err)
{
	return read_config(name, text, out, err);
}

int pd_config_load(const char *path, pd_config *c, hv_err *err)
{
	return read_config(path, NULL, c, err);
}
