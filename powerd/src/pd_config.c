/* SPDX-License-Identifier: MIT */
#include "pd_config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sysio.h"

enum kt {
	KT_BOOL,
	KT_NUM,
	KT_SECS,
	KT_UINT,
	KT_STR,
	KT_KHZ,
	KT_ACTION,
	KT_LIST,
	KT_METHOD,
	KT_HEX
};

typedef struct key_def {
	const char *sect, *key;
	enum kt type;
	size_t off;
	double min, max; /* numbers; for strings max is the buffer size */
} key_def;

#define O(f) offsetof(pd_config, f)
static const key_def keys[] = {
    {"daemon", "period", KT_SECS, O(period_s), 0.05, 3600},
    {"daemon", "backend", KT_STR, O(backend), 0, 16},
    {"frequency", "enabled", KT_BOOL, O(freq.enabled), 0, 0},
    {"frequency", "high", KT_NUM, O(freq.high_pct), 0, 100},
    {"frequency", "low", KT_NUM, O(freq.low_pct), 0, 100},
    {"frequency", "hold", KT_SECS, O(freq.hold_s), 0, 86400},
    {"frequency", "up_hold", KT_SECS, O(freq.up_hold_s), 0, 86400},
    {"frequency", "action", KT_ACTION, O(freq.action), 0, 0},
    {"frequency", "low_governor", KT_STR, O(freq.low_governor), 0, PD_GOV_LEN},
    {"frequency", "high_governor", KT_STR, O(freq.high_governor), 0,
     PD_GOV_LEN},
    {"frequency", "low_max", KT_KHZ, O(freq.low_max), 0, 0},
    {"parking", "enabled", KT_BOOL, O(park.enabled), 0, 0},
    {"parking", "min_online", KT_UINT, O(park.min_online), 1, 4096},
    {"parking", "park_below", KT_NUM, O(park.park_below_pct), 1, 100},
    {"parking", "unpark_above", KT_NUM, O(park.unpark_above_pct), 1, 100},
    {"parking", "hold", KT_SECS, O(park.hold_s), 0, 86400},
    {"parking", "cooldown", KT_SECS, O(park.cooldown_s), 0, 86400},
    {"latency", "enabled", KT_BOOL, O(lat.enabled), 0, 0},
    {"latency", "domains", KT_LIST, O(lat.dom), 0, 0},
    {"latency", "busy", KT_NUM, O(lat.busy_pct), 0, 100000},
    {"latency", "max_latency_us", KT_UINT, O(lat.max_latency_us), 0, 1000000},
    {"latency", "hold", KT_SECS, O(lat.hold_s), 0, 86400},
    {"latency", "method", KT_METHOD, O(lat.method), 0, 0},
    {"latency", "xen_max_cstate", KT_UINT, O(lat.xen_max_cstate), 0, 15},
    {"hwerr", "enabled", KT_BOOL, O(hwerr.enabled), 0, 0},
    {"hwerr", "threshold", KT_UINT, O(hwerr.threshold), 0, 1000000000},
    {"hwerr", "window", KT_SECS, O(hwerr.window_s), 1, 30 * 86400},
    {"hwerr", "max_offline", KT_UINT, O(hwerr.max_offline), 0, 4096},
    {"hwerr", "keep_online", KT_UINT, O(hwerr.keep_online), 1, 4096},
    {"hwerr", "page_threshold", KT_UINT, O(hwerr.page_threshold), 0,
     1000000000},
    {"hwerr", "page_window", KT_SECS, O(hwerr.page_window_s), 1, 30 * 86400},
    {"budget", "enabled", KT_BOOL, O(budget.enabled), 0, 0},
    {"budget", "watts", KT_NUM, O(budget.watts), 0.001, 1e6},
    {"budget", "release", KT_NUM, O(budget.release_pct), 1, 100},
    {"budget", "hold", KT_SECS, O(budget.hold_s), 0, 86400},
    {"budget", "step", KT_NUM, O(budget.step_pct), 0.1, 100},
    {"budget", "floor", KT_KHZ, O(budget.floor), 0, 0},
    {"energy", "enabled", KT_BOOL, O(energy.enabled), 0, 0},
    {"energy", "interval", KT_SECS, O(energy.interval_s), 1, 86400},
    {"noisy", "enabled", KT_BOOL, O(noisy.enabled), 0, 0},
    {"noisy", "llc_bytes", KT_NUM, O(noisy.llc_bytes), 0, 1e12},
    {"noisy", "mbm_bytes_per_s", KT_NUM, O(noisy.mbm_Bps), 0, 1e13},
    /* from 0.1 s: rdt_policy reads 0 as "its default" */
    {"noisy", "hold", KT_SECS, O(noisy.hold_s), 0.1, 86400},
    {"noisy", "calm", KT_SECS, O(noisy.calm_s), 0.1, 86400},
    {"noisy", "calm_ratio", KT_NUM, O(noisy.calm_ratio), 0.01, 1},
    {"noisy", "gone", KT_SECS, O(noisy.gone_s), 0.1, 86400},
    {"noisy", "l3_mask", KT_HEX, O(noisy.l3_mask), 0, 20},
    {"noisy", "mb_percent", KT_UINT, O(noisy.mb_percent), 1, 100},
    {"noisy", "max_restricted", KT_UINT, O(noisy.max_restricted), 0, 4096},
    {"noisy", "class", KT_STR, O(noisy.class_name), 0, PD_NAME_LEN},
};
#undef O
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static unsigned line_of(const unsigned *seen, const char *s, const char *k);

void pd_config_defaults(pd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->period_s = 1.0;
	c->freq.high_pct = 70;
	c->freq.low_pct = 30;
	c->freq.hold_s = 10;
	c->freq.up_hold_s = 0;
	c->freq.action = PD_FREQ_GOVERNOR;
	snprintf(c->freq.low_governor, sizeof(c->freq.low_governor),
	         "powersave");
	c->freq.low_max = (pd_khz){60, true};
	c->park.min_online = 2;
	c->park.park_below_pct = 40;
	c->park.unpark_above_pct = 75;
	c->park.hold_s = 30;
	c->park.cooldown_s = 20;
	c->lat.busy_pct = 5;
	c->lat.max_latency_us = 20;
	c->lat.hold_s = 30;
	c->lat.xen_max_cstate = 1;
	c->hwerr.threshold = 18; /* rasdaemon's CPU_CE_THRESHOLD per 24 h */
	c->hwerr.window_s = 86400;
	c->hwerr.max_offline = 2;
	c->hwerr.keep_online = 2;
	c->hwerr.page_threshold = 10;
	c->hwerr.page_window_s = 86400;
	c->budget.watts = 100;
	c->budget.release_pct = 90;
	c->budget.hold_s = 10;
	c->budget.step_pct = 10;
	c->budget.floor = (pd_khz){40, true};
	c->energy.interval_s = 60;
	c->noisy.hold_s = 10;
	c->noisy.calm_s = 30;
	c->noisy.calm_ratio = 0.8;
	c->noisy.gone_s = 10;
	snprintf(c->noisy.class_name, sizeof(c->noisy.class_name),
	         "hvkit-restricted");
}

unsigned long pd_khz_resolve(pd_khz k, unsigned long hw_max_khz)
{
	if (!k.pct)
		return (unsigned long)k.v;
	if (!hw_max_khz)
		return 0;
	return (unsigned long)llround(k.v * (double)hw_max_khz / 100.0);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* A number with an optional unit suffix for durations. */
static int parse_num(const char *v, bool secs, double *out)
{
	char *end;
	double d, mul = 1;

	if (!*v || isspace((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || !isfinite(d))
		return -EINVAL;
	if (secs && *end) {
		if (!strcmp(end, "s"))
			mul = 1;
		else if (!strcmp(end, "ms"))
			mul = 0.001;
		else if (!strcmp(end, "m"))
			mul = 60;
		else if (!strcmp(end, "h"))
			mul = 3600;
		else if (!strcmp(end, "d"))
			mul = 86400;
		else
			return -EINVAL;
		end += strlen(end);
	}
	if (*end)
		return -EINVAL;
	*out = d * mul;
	return 0;
}

static int set_value(const key_def *k, char *base, char *v, char *why,
                     size_t wlen)
{
	double d;

	switch (k->type) {
	case KT_BOOL: {
		bool *b = (bool *)(base + k->off);
		if (!strcmp(v, "yes") || !strcmp(v, "true") ||
		    !strcmp(v, "on") || !strcmp(v, "1"))
			*b = true;
		else if (!strcmp(v, "no") || !strcmp(v, "false") ||
		         !strcmp(v, "off") || !strcmp(v, "0"))
			*b = false;
		else {
			snprintf(why, wlen, "expected yes or no, got '%s'", v);
			return -EINVAL;
		}
		return 0;
	}
	case KT_NUM:
	case KT_SECS:
	case KT_UINT:
		if (parse_num(v, k->type == KT_SECS, &d)) {
			snprintf(why, wlen, "'%s' is not a %s", v,
			         k->type == KT_SECS
			             ? "duration (e.g. 30, 30s, 5m, 24h)"
			             : "number");
			return -EINVAL;
		}
		if (k->type == KT_UINT && d != floor(d)) {
			snprintf(why, wlen, "'%s' is not a whole number", v);
			return -EINVAL;
		}
		if (d < k->min || d > k->max) {
			snprintf(why, wlen, "%s out of range [%g, %g]", v,
			         k->min, k->max);
			return -EINVAL;
		}
		if (k->type == KT_UINT)
			*(unsigned *)(base + k->off) = (unsigned)d;
		else
			*(double *)(base + k->off) = d;
		return 0;
	case KT_STR: {
		size_t n = strlen(v);
		if (n >= (size_t)k->max) {
			snprintf(why, wlen, "value longer than %d characters",
			         (int)k->max - 1);
			return -EINVAL;
		}
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)v[i]) && v[i] != '_' &&
			    v[i] != '-') {
				snprintf(why, wlen,
				         "'%s': only letters, digits, '_' and "
				         "'-' allowed",
				         v);
				return -EINVAL;
			}
		memcpy(base + k->off, v, n + 1);
		return 0;
	}
	case KT_KHZ: {
		pd_khz *kz = (pd_khz *)(base + k->off);
		size_t n = strlen(v);
		bool pct = n > 0 && v[n - 1] == '%';
		if (pct)
			v[n - 1] = '\0';
		if (parse_num(v, false, &d) || d <= 0 || (pct && d > 100) ||
		    (!pct && (d != floor(d) || d > 1e9))) {
			snprintf(why, wlen,
			         "expected kHz (e.g. 1200000) or a percentage "
			         "of the maximum (e.g. 60%%), got '%s%s'",
			         v, pct ? "%" : "");
			return -EINVAL;
		}
		*kz = (pd_khz){d, pct};
		return 0;
	}
	case KT_ACTION:
		if (!strcmp(v, "governor"))
			*(int *)(base + k->off) = PD_FREQ_GOVERNOR;
		else if (!strcmp(v, "cap"))
			*(int *)(base + k->off) = PD_FREQ_CAP;
		else {
			snprintf(why, wlen,
			         "expected 'governor' or 'cap', got '%s'", v);
			return -EINVAL;
		}
		return 0;
	case KT_METHOD:
		if (!strcmp(v, "cstate"))
			*(int *)(base + k->off) = PD_LAT_CSTATE;
		else if (!strcmp(v, "qos"))
			*(int *)(base + k->off) = PD_LAT_QOS;
		else if (!strcmp(v, "xen"))
			*(int *)(base + k->off) = PD_LAT_XEN;
		else {
			snprintf(why, wlen,
			         "expected 'cstate', 'qos' or 'xen', got '%s'",
			         v);
			return -EINVAL;
		}
		return 0;
	case KT_HEX: {
		/* A cache bit mask: hex digits, optional 0x, not zero. */
		const char *h = v;
		bool nz = false;
		if (!strncmp(h, "0x", 2) || !strncmp(h, "0X", 2))
			h += 2;
		if (!*h || strlen(h) > 16) {
			snprintf(why, wlen,
			         "expected a hex mask of 1 to 16 digits "
			         "(e.g. 0x3), got '%s'",
			         v);
			return -EINVAL;
		}
		for (const char *q = h; *q; q++) {
			if (!isxdigit((unsigned char)*q)) {
				snprintf(why, wlen,
				         "'%s' is not a hex mask (e.g. 0x3)",
				         v);
				return -EINVAL;
			}
			nz |= *q != '0';
		}
		if (!nz) {
			snprintf(why, wlen,
			         "an empty mask (%s) allows no "
			         "cache at all",
			         v);
			return -EINVAL;
		}
		snprintf(base + k->off, (size_t)k->max, "%s", h);
		return 0;
	}
	case KT_LIST: {
		pd_config *c = (pd_config *)base;
		char *tok = v, *next;
		c->lat.ndom = 0;
		for (; tok; tok = next) {
			char *comma = strchr(tok, ',');
			char *t;
			next = comma ? comma + 1 : NULL;
			if (comma)
				*comma = '\0';
			t = trim(tok);
			if (!*t) {
				snprintf(why, wlen,
				         "empty domain name in list");
				return -EINVAL;
			}
			if (strlen(t) >= PD_NAME_LEN) {
				snprintf(why, wlen, "domain name '%s' too long",
				         t);
				return -EINVAL;
			}
			if (c->lat.ndom == PD_MAX_LATDOMS) {
				snprintf(why, wlen,
				         "more than %d latency-critical "
				         "domains",
				         PD_MAX_LATDOMS);
				return -EINVAL;
			}
			snprintf(c->lat.dom[c->lat.ndom++], PD_NAME_LEN, "%s",
			         t);
		}
		return 0;
	}
	}
	return -EINVAL;
}

int pd_config_parse(const char *name, const char *text, pd_config *out,
                    hv_err *err)
{
	pd_config c;
	unsigned seen_line[NKEYS] = {0};
	char sect[32] = "";
	char secseen[16][32];
	unsigned nsec = 0;
	unsigned lineno = 0;
	const char *p = text;
	char why[200];
	int rc = 0;

	pd_config_defaults(&c);
	while (*p) {
		char line[1024];
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *s, *eq, *k, *v;
		const key_def *kd = NULL;

		lineno++;
		if (n >= sizeof(line)) {
			rc = hv_err_set(err, EINVAL, "%s:%u: line too long",
			                name, lineno);
			goto out;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (nl ? 1 : 0);
		s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		/* Inline comments need whitespace before '#'. */
		for (char *h = s; *h; h++)
			if (*h == '#' && h > s &&
			    (h[-1] == ' ' || h[-1] == '\t')) {
				*h = '\0';
				s = trim(s);
				break;
			}
		if (*s == '[') {
			size_t l = strlen(s);
			if (l < 3 || s[l - 1] != ']') {
				rc = hv_err_set(
				    err, EINVAL,
				    "%s:%u: malformed section header "
				    "'%s'",
				    name, lineno, s);
				goto out;
			}
			s[l - 1] = '\0';
			s = trim(s + 1);
			bool known = false;
			for (size_t i = 0; i < NKEYS; i++)
				if (!strcmp(keys[i].sect, s))
					known = true;
			if (!known) {
				rc = hv_err_set(err, EINVAL,
				                "%s:%u: unknown section [%s] "
				                "(known: daemon, frequency, "
				                "parking, latency, hwerr, "
				                "budget, energy, noisy)",
				                name, lineno, s);
				goto out;
			}
			for (unsigned i = 0; i < nsec; i++)
				if (!strcmp(secseen[i], s)) {
					rc = hv_err_set(err, EINVAL,
					                "%s:%u: section [%s] "
					                "appears twice",
					                name, lineno, s);
					goto out;
				}
			snprintf(sect, sizeof(sect), "%s", s);
			if (nsec < 16)
				snprintf(secseen[nsec++], 32, "%s", s);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			rc = hv_err_set(err, EINVAL,
			                "%s:%u: expected 'key = value' or "
			                "'[section]', got '%s'",
			                name, lineno, s);
			goto out;
		}
		*eq = '\0';
		k = trim(s);
		v = trim(eq + 1);
		if (!*sect) {
			rc = hv_err_set(err, EINVAL,
			                "%s:%u: '%s' outside any [section]",
			                name, lineno, k);
			goto out;
		}
		for (size_t i = 0; i < NKEYS; i++)
			if (!strcmp(keys[i].sect, sect) &&
			    !strcmp(keys[i].key, k))
				kd = &keys[i];
		if (!kd) {
			rc = hv_err_set(err, EINVAL,
			                "%s:%u: unknown key '%s' in [%s]", name,
			                lineno, k, sect);
			goto out;
		}
		if (seen_line[kd - keys]) {
			rc = hv_err_set(err, EINVAL,
			                "%s:%u: '%s' already set on line %u",
			                name, lineno, k, seen_line[kd - keys]);
			goto out;
		}
		if (!*v && kd->type != KT_STR) {
			rc = hv_err_set(err, EINVAL, "%s:%u: '%s' has no value",
			                name, lineno, k);
			goto out;
		}
		if (set_value(kd, (char *)&c, v, why, sizeof(why))) {
			rc = hv_err_set(err, EINVAL, "%s:%u: %s: %s", name,
			                lineno, k, why);
			goto out;
		}
		seen_line[kd - keys] = lineno;
	}

	/* Cross-field checks name the line of the key that conflicts (or of
	 * the section's enable when the key was left at its default). */
#define LINE_OF(s, k) line_of(seen_line, s, k)
	if (c.freq.enabled && c.freq.low_pct >= c.freq.high_pct) {
		rc = hv_err_set(err, EINVAL,
		                "%s:%u: [frequency] low (%g) must be below "
		                "high (%g)",
		                name, LINE_OF("frequency", "low"),
		                c.freq.low_pct, c.freq.high_pct);
		goto out;
	}
	if (c.freq.enabled && c.freq.action == PD_FREQ_GOVERNOR &&
	    !c.freq.low_governor[0]) {
		rc = hv_err_set(err, EINVAL,
		                "%s:%u: [frequency] action = governor needs "
		                "low_governor",
		                name, LINE_OF("frequency", "low_governor"));
		goto out;
	}
	if (c.park.enabled &&
	    c.park.park_below_pct >= c.park.unpark_above_pct) {
		rc = hv_err_set(err, EINVAL,
		                "%s:%u: [parking] park_below (%g) must be "
		                "below unpark_above (%g)",
		                name, LINE_OF("parking", "park_below"),
		                c.park.park_below_pct, c.park.unpark_above_pct);
		goto out;
	}
	if (c.lat.enabled && c.lat.ndom == 0) {
		rc = hv_err_set(err, EINVAL,
		                "%s:%u: [latency] is enabled but lists no "
		                "domains",
		                name, LINE_OF("latency", "enabled"));
		goto out;
	}
	if (c.budget.enabled && c.budget.floor.pct && c.budget.floor.v < 1) {
		rc = hv_err_set(err, EINVAL, "%s:%u: [budget] floor too low",
		                name, LINE_OF("budget", "floor"));
		goto out;
	}
	if (c.noisy.enabled && c.noisy.llc_bytes <= 0 && c.noisy.mbm_Bps <= 0) {
		rc = hv_err_set(err, EINVAL,
		                "%s:%u: [noisy] is enabled but sets neither "
		                "llc_bytes nor mbm_bytes_per_s",
		                name, LINE_OF("noisy", "enabled"));
		goto out;
	}
	if (c.noisy.enabled && !c.noisy.l3_mask[0] && !c.noisy.mb_percent) {
		rc = hv_err_set(err, EINVAL,
		                "%s:%u: [noisy] is enabled but the restricted "
		                "class has neither l3_mask nor mb_percent",
		                name, LINE_OF("noisy", "enabled"));
		goto out;
	}
	if (c.noisy.enabled && !c.noisy.class_name[0]) {
		rc = hv_err_set(err, EINVAL, "%s:%u: [noisy] class is empty",
		                name, LINE_OF("noisy", "class"));
		goto out;
	}
	*out = c;
out:
	return rc;
}

static unsigned line_of(const unsigned *seen, const char *s, const char *k)
{
	unsigned best = 0;

	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].sect, s))
			continue;
		if (!strcmp(keys[i].key, k) && seen[i])
			return seen[i];
		if (!strcmp(keys[i].key, "enabled"))
			best = seen[i];
	}
	return best;
}

int pd_config_load(const char *path, pd_config *c, hv_err *err)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t cap = 1 << 20, n;
	int rc = 0;

	f = fopen(path, "r");
	if (!f) {
		rc = hv_err_set(err, errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	buf = malloc(cap + 1);
	if (!buf) {
		rc = hv_err_set(err, ENOMEM, "%s: out of memory", path);
		goto out;
	}
	n = fread(buf, 1, cap, f);
	if (ferror(f)) {
		rc = hv_err_set(err, EIO, "%s: read error", path);
		goto out;
	}
	if (n == cap) {
		rc = hv_err_set(err, EFBIG, "%s: larger than 1 MiB", path);
		goto out;
	}
	buf[n] = '\0';
	if (strlen(buf) != n) {
		rc = hv_err_set(err, EINVAL, "%s: contains a NUL byte", path);
		goto out;
	}
	rc = pd_config_parse(path, buf, c, err);
out:
	if (f)
		fclose(f);
	free(buf);
	return rc;
}
