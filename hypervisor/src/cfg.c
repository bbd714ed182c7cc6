/* SPDX-License-Identifier: MIT */
/* The table-driven config reader (hv/cfg.h). */
#include "hv/cfg.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sysio.h"

#define LINE_MAX_LEN 1024
#define FILE_MAX (1u << 20)
#define MAX_SECT 32

struct hv_cfg_lines {
	size_t n;
	unsigned *line; /* per key, in spec order */
	unsigned last_bad;
	const hv_cfg_spec *spec;
};

/* One parse: the spec, where we are, what we saw. */
typedef struct rd {
	const hv_cfg_spec *s;
	const char *name;
	unsigned lineno;
	char sect[64];
	char seen[MAX_SECT][64];
	unsigned nseen;
	hv_cfg_lines *l;
	void *obj;
} rd;

const hv_cfg_key *hv_cfg_key_at(const hv_cfg_spec *s, size_t i)
{
	for (const hv_cfg_key *const *t = s->tables; *t; t++)
		for (const hv_cfg_key *k = *t; k->key; k++)
			if (i-- == 0)
				return k;
	return NULL;
}

static const hv_cfg_key *find_key(const hv_cfg_spec *s, const char *sect,
                                  const char *key, size_t *idx)
{
	const hv_cfg_key *k;

	for (size_t i = 0; (k = hv_cfg_key_at(s, i)); i++)
		if (!strcmp(k->sect, sect) && !strcmp(k->key, key)) {
			if (idx)
				*idx = i;
			return k;
		}
	return NULL;
}

/* A number with an optional unit suffix for durations. */
static int parse_num(const char *v, bool secs, double *out)
{
	static const struct {
		const char *suf;
		double mul;
	} units[] = {{"", 1},   {"s", 1},    {"ms", 0.001},
	             {"m", 60}, {"h", 3600}, {"d", 86400}};
	char *end;
	double d;

	if (!*v || isspace((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || !isfinite(d))
		return -EINVAL;
	for (size_t i = 0; i < (secs ? sizeof(units) / sizeof(units[0]) : 1);
	     i++)
		if (!strcmp(end, units[i].suf)) {
			*out = d * units[i].mul;
			return 0;
		}
	return -EINVAL;
}

static int set_bool(const hv_cfg_key *k, char *f, const char *v, char *why,
                    size_t wlen)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < 4; i++)
		if (!strcmp(v, yes[i]) || !strcmp(v, no[i])) {
			*(bool *)(f + k->off) = !strcmp(v, yes[i]);
			return 0;
		}
	snprintf(why, wlen, "expected yes or no, got '%s'", v);
	return -EINVAL;
}

static int set_number(const hv_cfg_key *k, char *f, const char *v, char *why,
                      size_t wlen)
{
	double d;

	if (parse_num(v, k->type == HV_CFG_SECS, &d)) {
		snprintf(why, wlen, "'%s' is not a %s", v,
		         k->type == HV_CFG_SECS
		             ? "duration (e.g. 30, 30s, 5m, 24h)"
		             : "number");
		return -EINVAL;
	}
	if (k->type == HV_CFG_UINT && d != floor(d)) {
		snprintf(why, wlen, "'%s' is not a whole number", v);
		return -EINVAL;
	}
	if (d < k->min || d > k->max) {
		snprintf(why, wlen, "%s out of range [%g, %g]", v, k->min,
		         k->max);
		return -EINVAL;
	}
	if (k->type == HV_CFG_UINT)
		*(unsigned *)(f + k->off) = (unsigned)d;
	else
		*(double *)(f + k->off) = d;
	return 0;
}

static int set_string(const hv_cfg_key *k, char *f, const char *v, char *why,
                      size_t wlen)
{
	size_t n = strlen(v);

	if (n >= (size_t)k->max) {
		snprintf(why, wlen, "value longer than %d characters",
		         (int)k->max - 1);
		return -EINVAL;
	}
	for (size_t i = 0; k->type == HV_CFG_WORD && i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '_' &&
		    v[i] != '-') {
			snprintf(why, wlen,
			         "'%s': only letters, digits, '_' and '-' "
			         "allowed",
			         v);
			return -EINVAL;
		}
	memcpy(f + k->off, v, n + 1);
	return 0;
}

static int set_enum(const hv_cfg_key *k, char *f, const char *v, char *why,
                    size_t wlen)
{
	size_t n = 0, len;

	for (; k->names[n]; n++)
		if (!strcmp(v, k->names[n])) {
			*(int *)(f + k->off) = (int)n;
			return 0;
		}
	/* "expected 'a', 'b' or 'c', got 'v'" */
	len = (size_t)snprintf(why, wlen, "expected ");
	for (size_t i = 0; i < n && len < wlen; i++)
		len += (size_t)snprintf(why + len, wlen - len, "%s'%s'",
		                        i == 0       ? ""
		                        : i == n - 1 ? " or "
		                                     : ", ",
		                        k->names[i]);
	if (len < wlen)
		snprintf(why + len, wlen - len, ", got '%s'", v);
	return -EINVAL;
}

static int set_value(const hv_cfg_key *k, void *obj, char *v, char *why,
                     size_t wlen)
{
	switch (k->type) {
	case HV_CFG_BOOL:
		return set_bool(k, obj, v, why, wlen);
	case HV_CFG_NUM:
	case HV_CFG_SECS:
	case HV_CFG_UINT:
		return set_number(k, obj, v, why, wlen);
	case HV_CFG_WORD:
	case HV_CFG_TEXT:
		return set_string(k, obj, v, why, wlen);
	case HV_CFG_ENUM:
		return set_enum(k, obj, v, why, wlen);
	case HV_CFG_FUNC:
		return k->parse(k, obj, v, why, wlen);
	}
	snprintf(why, wlen, "bad key type");
	return -EINVAL;
}

int hv_cfg_defaults(const hv_cfg_spec *s, void *obj, hv_err *err)
{
	const hv_cfg_key *k;
	char v[LINE_MAX_LEN], why[200];

	for (size_t i = 0; (k = hv_cfg_key_at(s, i)); i++) {
		if (!k->def)
			continue;
		snprintf(v, sizeof(v), "%s", k->def);
		if (set_value(k, obj, v, why, sizeof(why)))
			return hv_err_set(err, EINVAL, "default of %s: %s",
			                  k->key, why);
	}
	return 0;
}

/* "daemon, frequency, ..." in table order (only for a message). */
static void known_sections(const hv_cfg_spec *s, char *buf, size_t len)
{
	const hv_cfg_key *k, *e;
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; (k = hv_cfg_key_at(s, i)) && n < len; i++) {
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = (e = hv_cfg_key_at(s, j)) &&
			      !strcmp(e->sect, k->sect);
		if (!dup)
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
			                      n ? ", " : "", k->sect);
	}
}

static int section(rd *r, char *s, hv_err *err)
{
	size_t l = strlen(s);
	bool known = false;
	const hv_cfg_key *k;
	char list[256];

	if (l < 3 || s[l - 1] != ']')
		return hv_err_set(err, EINVAL,
		                  "%s:%u: malformed section header '%s'",
		                  r->name, r->lineno, s);
	s[l - 1] = '\0';
	s = hv_trim(s + 1);
	for (size_t i = 0; !known && (k = hv_cfg_key_at(r->s, i)); i++)
		known = !strcmp(k->sect, s);
	if (!known) {
		known_sections(r->s, list, sizeof(list));
		return hv_err_set(err, EINVAL,
		                  "%s:%u: unknown section [%s] (known: %s)",
		                  r->name, r->lineno, s, list);
	}
	for (unsigned i = 0; i < r->nseen; i++)
		if (!strcmp(r->seen[i], s))
			return hv_err_set(err, EINVAL,
			                  "%s:%u: section [%s] appears twice",
			                  r->name, r->lineno, s);
	snprintf(r->sect, sizeof(r->sect), "%s", s);
	if (r->nseen < MAX_SECT)
		snprintf(r->seen[r->nseen++], sizeof(r->seen[0]), "%s", s);
	return 0;
}

static int unknown_key(const rd *r, const char *k, hv_err *err)
{
	if (r->s->flags & HV_CFG_SECTIONS)
		return hv_err_set(err, EINVAL,
		                  "%s:%u: unknown key '%s' in [%s]", r->name,
		                  r->lineno, k, r->sect);
	return hv_err_set(err, EINVAL, "%s:%u: unknown key '%s'", r->name,
	                  r->lineno, k);
}

static int assign(rd *r, char *s, char *eq, hv_err *err)
{
	char *k, *v, why[200];
	const hv_cfg_key *kd;
	size_t idx;

	*eq = '\0';
	k = hv_trim(s);
	v = hv_trim(eq + 1);
	if ((r->s->flags & HV_CFG_SECTIONS) && !r->sect[0])
		return hv_err_set(err, EINVAL,
		                  "%s:%u: '%s' outside any [section]", r->name,
		                  r->lineno, k);
	if (!(kd = find_key(r->s, r->sect, k, &idx)))
		return unknown_key(r, k, err);
	if ((r->s->flags & HV_CFG_ONCE) && r->l->line[idx])
		return hv_err_set(err, EINVAL,
		                  "%s:%u: '%s' already set on line %u", r->name,
		                  r->lineno, k, r->l->line[idx]);
	if (!*v && kd->type != HV_CFG_WORD && kd->type != HV_CFG_TEXT)
		return hv_err_set(err, EINVAL, "%s:%u: '%s' has no value",
		                  r->name, r->lineno, k);
	if (set_value(kd, r->obj, v, why, sizeof(why)))
		return hv_err_set(err, EINVAL, "%s:%u: %s: %s", r->name,
		                  r->lineno, k, why);
	r->l->line[idx] = r->lineno;
	return 0;
}

/* Comments: '#' or ';' first, or '#' after a blank. */
static char *strip_comment(char *s)
{
	if (!*s || *s == '#' || *s == ';')
		return s + strlen(s);
	for (char *h = s + 1; *h; h++)
		if (*h == '#' && (h[-1] == ' ' || h[-1] == '\t')) {
			*h = '\0';
			return hv_trim(s);
		}
	return s;
}

static int one_line(rd *r, char *line, hv_err *err)
{
	char *s = strip_comment(hv_trim(line)), *eq;

	if (!*s)
		return 0;
	if (*s == '[' && (r->s->flags & HV_CFG_SECTIONS))
		return section(r, s, err);
	if (!(eq = strchr(s, '=')))
		return hv_err_set(
		    err, EINVAL, "%s:%u: expected 'key = value'%s, got '%s'",
		    r->name, r->lineno,
		    r->s->flags & HV_CFG_SECTIONS ? " or '[section]'" : "", s);
	return assign(r, s, eq, err);
}

static size_t nkeys(const hv_cfg_spec *s)
{
	size_t n = 0;

	while (hv_cfg_key_at(s, n))
		n++;
	return n;
}

static hv_cfg_lines *lines_new(const hv_cfg_spec *s)
{
	hv_cfg_lines *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->spec = s;
	l->n = nkeys(s);
	l->line = calloc(l->n ? l->n : 1, sizeof(*l->line));
	if (!l->line) {
		free(l);
		return NULL;
	}
	return l;
}

/* Every line through one_line; strict stops at the first error, lenient
 * counts them. */
static int read_lines(rd *r, const char *text, hv_err *err)
{
	int nbad = 0, rc = 0;

	for (const char *p = text; *p && !rc;) {
		char line[LINE_MAX_LEN];
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		r->lineno++;
		if (n >= sizeof(line)) {
			rc = hv_err_set(err, EINVAL, "%s:%u: line too long",
			                r->name, r->lineno);
		} else {
			memcpy(line, p, n);
			line[n] = '\0';
			rc = one_line(r, line, err);
		}
		p += n + (nl ? 1 : 0);
		if (rc && (r->s->flags & HV_CFG_LENIENT) && rc != -ENOMEM) {
			nbad++;
			r->l->last_bad = r->lineno;
			rc = 0;
		}
	}
	return rc ? rc : nbad;
}

int hv_cfg_parse(const hv_cfg_spec *s, const char *name, const char *text,
                 void *obj, size_t objsize, hv_cfg_lines **lines, hv_err *err)
{
	rd r = {.s = s, .name = name};
	bool strict = !(s->flags & HV_CFG_LENIENT);
	int rc;

	if (!text)
		return hv_err_set(err, EINVAL, "%s: no text", name);
	if (!(r.l = lines_new(s)))
		return hv_err_set(err, ENOMEM, "%s: out of memory", name);
	/* strict: work on a copy, so a bad file changes nothing */
	r.obj = strict ? malloc(objsize) : obj;
	if (!r.obj) {
		rc = hv_err_set(err, ENOMEM, "%s: out of memory", name);
		goto out;
	}
	if (strict)
		memcpy(r.obj, obj, objsize);
	rc = read_lines(&r, text, err);
	if (strict && !rc)
		memcpy(obj, r.obj, objsize);
out:
	if (strict)
		free(r.obj);
	if (rc >= 0 && lines) {
		*lines = r.l;
		r.l = NULL;
	}
	hv_cfg_lines_free(r.l);
	return rc;
}

static int read_file(const char *path, char **out, hv_err *err)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n;
	int rc = 0;

	if (!f)
		return hv_err_set(err, errno, "%s: %s", path, strerror(errno));
	if (!(buf = malloc(FILE_MAX + 1))) {
		rc = hv_err_set(err, ENOMEM, "%s: out of memory", path);
		goto out;
	}
	n = fread(buf, 1, FILE_MAX, f);
	if (ferror(f))
		rc = hv_err_set(err, EIO, "%s: read error", path);
	else if (n == FILE_MAX)
		rc = hv_err_set(err, EFBIG, "%s: larger than 1 MiB", path);
	else if ((buf[n] = '\0', strlen(buf) != n))
		rc = hv_err_set(err, EINVAL, "%s: contains a NUL byte", path);
out:
	fclose(f);
	if (rc)
		free(buf);
	else
		*out = buf;
	return rc;
}

int hv_cfg_load(const hv_cfg_spec *s, const char *path, void *obj,
                size_t objsize, hv_cfg_lines **lines, hv_err *err)
{
	char *text = NULL;
	int rc = read_file(path, &text, err);

	if (!rc)
		rc = hv_cfg_parse(s, path, text, obj, objsize, lines, err);
	free(text);
	return rc;
}

int hv_cfg_set(const hv_cfg_spec *s, void *obj, const char *sect,
               const char *key, const char *val, hv_err *err)
{
	const hv_cfg_key *k = find_key(s, sect ? sect : "", key, NULL);
	char v[LINE_MAX_LEN], why[200];

	if (!k)
		return hv_err_set(err, EINVAL, "unknown key '%s'", key);
	if (strlen(val) >= sizeof(v))
		return hv_err_set(err, EINVAL, "%s: value too long", key);
	snprintf(v, sizeof(v), "%s", val);
	if (set_value(k, obj, v, why, sizeof(why)))
		return hv_err_set(err, EINVAL, "%s: %s", key, why);
	return 0;
}

unsigned hv_cfg_line(const hv_cfg_lines *l, const char *sect, const char *key)
{
	size_t idx;

	if (!l || !find_key(l->spec, sect, key, &idx))
		return 0;
	return l->line[idx];
}

unsigned hv_cfg_last_bad(const hv_cfg_lines *l)
{
	return l ? l->last_bad : 0;
}

void hv_cfg_lines_free(hv_cfg_lines *l)
{
	if (!l)
		return;
	free(l->line);
	free(l);
}
