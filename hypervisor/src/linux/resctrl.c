/* SPDX-License-Identifier: MIT */
/* resctrl: feature probe, schemata parsing/validation, reads. The kernel's
 * formats (Documentation/filesystems/resctrl.rst): masks are zero-padded hex
 * ("%0*x"), MB values space-padded ("%*u"), event files hold a decimal or
 * one of the words Unavailable / Error / Unassigned. */
#include "resctrl_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv/sysio.h"

int rc_path(const hv_resctrl *rc, char *buf, size_t len, const char *group,
            const char *file)
{
	int n;

	if (group && *group)
		n = snprintf(buf, len, "%s/%s%s%s", rc->root, group,
		             file && *file ? "/" : "", file ? file : "");
	else
		n = snprintf(buf, len, "%s%s%s", rc->root,
		             file && *file ? "/" : "", file ? file : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int rc_lock(hv_resctrl *rc, int how, hv_err *err)
{
	while (flock(rc->fd, how) < 0) {
		if (errno == EINTR)
			continue;
		return hv_err_set(err, errno, "flock %s: %s", rc->root,
		                  strerror(errno));
	}
	return 0;
}

void rc_unlock(hv_resctrl *rc)
{
	(void)flock(rc->fd, LOCK_UN);
}

int hv_rc_res_is_cache(const char *res)
{
	return res[0] == 'L' && (res[1] == '2' || res[1] == '3');
}

/* ---------------- schemata ---------------- */

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int parse_line(char *l, hv_rc_line *out, hv_err *err)
{
	char *colon = strchr(l, ':'), *tok, *save = NULL, *res;
	int cache;

	memset(out, 0, sizeof(*out));
	if (!colon)
		return hv_err_set(err, EINVAL,
		                  "schemata line \"%.40s\": no ':'", l);
	*colon = '\0';
	res = trim(l);
	if (!*res || strlen(res) >= sizeof(out->res))
		return hv_err_set(err, EINVAL,
		                  "schemata: bad resource \"%.20s\"", res);
	for (const char *p = res; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return hv_err_set(err, EINVAL,
			                  "schemata: bad resource \"%.20s\"",
			                  res);
	memcpy(out->res, res, strlen(res) + 1); /* length checked above */
	cache = hv_rc_res_is_cache(res);
	for (tok = strtok_r(colon + 1, ";", &save); tok;
	     tok = strtok_r(NULL, ";", &save)) {
		char *eq, *id, *val;
		uint64_t idv, v;

		tok = trim(tok);
		if (!*tok)
			continue; /* "L3:2=3c0;" */
		eq = strchr(tok, '=');
		if (!eq)
			return hv_err_set(err, EINVAL,
			                  "%s: \"%.20s\" is not id=value", res,
			                  tok);
		*eq = '\0';
		id = trim(tok);
		val = trim(eq + 1);
		if (hv_parse_u64(id, &idv) || idv > UINT32_MAX)
			return hv_err_set(err, EINVAL,
			                  "%s: bad domain id \"%.20s\"", res,
			                  id);
		if (cache ? hv_parse_hex64(val, &v) : hv_parse_u64(val, &v))
			return hv_err_set(err, EINVAL,
			                  "%s: bad value \"%.20s\"", res, val);
		for (uint32_t i = 0; i < out->n; i++)
			if (out->id[i] == idv)
				return hv_err_set(err, EINVAL,
				                  "%s: domain %u given twice",
				                  res, (unsigned)idv);
		if (out->n >= HV_RC_MAX_DOM)
			return hv_err_set(err, E2BIG, "%s: too many domains",
			                  res);
		out->id[out->n] = (uint32_t)idv;
		out->val[out->n++] = v;
	}
	if (!out->n)
		return hv_err_set(err, EINVAL, "%s: no domains", res);
	return 0;
}

int hv_rc_schemata_parse(const char *text, hv_rc_schemata *out, hv_err *err)
{
	char *copy = strdup(text), *line, *save = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!copy)
		return hv_err_set(err, ENOMEM, "out of memory");
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		hv_rc_line l;
		hv_rc_line *have;
		char *t = trim(line);

		if (!*t)
			continue;
		if ((rc = parse_line(t, &l, err)))
			goto out;
		have = hv_rc_schemata_find(out, l.res);
		if (have) {
			rc = hv_err_set(err, EINVAL, "schemata: %s given twice",
			                l.res);
			goto out;
		}
		if (out->nr >= HV_RC_MAX_LINES) {
			rc = hv_err_set(err, E2BIG, "schemata: too many lines");
			goto out;
		}
		out->line[out->nr++] = l;
	}
out:
	free(copy);
	return rc;
}

hv_rc_line *hv_rc_schemata_find(hv_rc_schemata *s, const char *res)
{
	for (uint32_t i = 0; i < s->nr; i++)
		if (!strcmp(s->line[i].res, res))
			return &s->line[i];
	return NULL;
}

int hv_rc_schemata_format(const hv_rc_schemata *s, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (uint32_t i = 0; i < s->nr; i++) {
		const hv_rc_line *l = &s->line[i];
		int cache = hv_rc_res_is_cache(l->res);
		int n = snprintf(buf + off, len - off, "%s:", l->res);

		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
		for (uint32_t j = 0; j < l->n; j++) {
			n = snprintf(buf + off, len - off,
			             cache ? "%s%u=%llx" : "%s%u=%llu",
			             j ? ";" : "", l->id[j],
			             (unsigned long long)l->val[j]);
			if (n < 0 || (size_t)n >= len - off)
				return -ENOSPC;
			off += (size_t)n;
		}
		if (off + 1 >= len)
			return -ENOSPC;
		buf[off++] = '\n';
		buf[off] = '\0';
	}
	return 0;
}

int hv_rc_schemata_merge(hv_rc_schemata *base, const hv_rc_schemata *upd,
                         hv_err *err)
{
	for (uint32_t i = 0; i < upd->nr; i++) {
		const hv_rc_line *u = &upd->line[i];
		hv_rc_line *b = hv_rc_schemata_find(base, u->res);

		if (!b) {
			if (base->nr >= HV_RC_MAX_LINES)
				return hv_err_set(err, E2BIG, "too many lines");
			base->line[base->nr++] = *u;
			continue;
		}
		for (uint32_t j = 0; j < u->n; j++) {
			uint32_t k;

			for (k = 0; k < b->n && b->id[k] != u->id[j]; k++)
				;
			if (k == b->n) {
				if (b->n >= HV_RC_MAX_DOM)
					return hv_err_set(err, E2BIG,
					                  "too many domains");
				b->id[b->n++] = u->id[j];
			}
			b->val[k] = u->val[j];
		}
	}
	return 0;
}

/* ---------------- validation (pure) ---------------- */

int hv_rc_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= HV_RC_NAME_LEN || name[0] == '.' || name[0] == '-')
		return 0;
	if (!strcmp(name, "info") || !strcmp(name, "mon_groups") ||
	    !strcmp(name, "mon_data"))
		return 0;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' &&
		    *p != '.')
			return 0;
	return 1;
}

static const hv_rc_cat *cat_for(const hv_rc_info *info, const char *res)
{
	if (!strcmp(res, "L3"))
		return &info->l3;
	if (!strcmp(res, "L3CODE"))
		return &info->l3code;
	if (!strcmp(res, "L3DATA"))
		return &info->l3data;
	if (!strcmp(res, "L2"))
		return &info->l2;
	return NULL;
}

static int popcount64(uint64_t v)
{
	return __builtin_popcountll(v);
}

static int contiguous(uint64_t m)
{
	if (!m)
		return 1;
	m >>= __builtin_ctzll(m);
	return (m & (m + 1)) == 0;
}

static int l3_dom_known(const hv_rc_info *info, uint32_t id)
{
	if (!info->nr_l3)
		return 1; /* unknown topology: let the kernel judge */
	for (uint32_t i = 0; i < info->nr_l3; i++)
		if (info->l3_id[i] == id)
			return 1;
	return 0;
}

static int validate_cache(const hv_rc_info *info, const hv_rc_line *l,
                          hv_err *err)
{
	const hv_rc_cat *c = cat_for(info, l->res);

	if (!strcmp(l->res, "L3") && info->cdp)
		return hv_err_set(err, EINVAL,
		                  "L3: CDP is on, give L3CODE and L3DATA");
	if (!c || !c->present)
		return hv_err_set(err, EOPNOTSUPP,
		                  "%s: cache allocation not supported here",
		                  l->res);
	for (uint32_t i = 0; i < l->n; i++) {
		uint64_t m = l->val[i];

		if (l->res[1] == '3' && !l3_dom_known(info, l->id[i]))
			return hv_err_set(err, EINVAL, "%s: no cache domain %u",
			                  l->res, l->id[i]);
		if (m & ~c->cbm_mask)
			return hv_err_set(
			    err, EINVAL,
			    "%s:%u: mask %llx outside cbm_mask %llx", l->res,
			    l->id[i], (unsigned long long)m,
			    (unsigned long long)c->cbm_mask);
		if ((uint32_t)popcount64(m) < c->min_cbm_bits ||
		    (!m && c->min_cbm_bits))
			return hv_err_set(err, EINVAL,
			                  "%s:%u: mask %llx has fewer than "
			                  "min_cbm_bits=%u bits set",
			                  l->res, l->id[i],
			                  (unsigned long long)m,
			                  c->min_cbm_bits);
		if (!c->sparse && !contiguous(m))
			return hv_err_set(
			    err, EINVAL,
			    "%s:%u: mask %llx has non-consecutive "
			    "1-bits (not allowed on this CPU)",
			    l->res, l->id[i], (unsigned long long)m);
	}
	return 0;
}

static int validate_mb(const hv_rc_info *info, const hv_rc_line *l, hv_err *err)
{
	const hv_rc_mb *mb = &info->mb;

	if (!mb->present)
		return hv_err_set(
		    err, EOPNOTSUPP,
		    "MB: bandwidth allocation not supported here");
	for (uint32_t i = 0; i < l->n; i++) {
		uint64_t v = l->val[i];

		if (!l3_dom_known(info, l->id[i]))
			return hv_err_set(err, EINVAL, "MB: no domain %u",
			                  l->id[i]);
		if (v < mb->min_bw || v > mb->max_bw)
			return hv_err_set(
			    err, EINVAL, "MB:%u: %llu outside [%u, %u]%s",
			    l->id[i], (unsigned long long)v, mb->min_bw,
			    mb->max_bw,
			    mb->unit == HV_RC_MB_AMD8   ? " (1/8 GB/s units)"
			    : mb->unit == HV_RC_MB_MBPS ? " MiB/s"
			                                : " %");
		if (mb->unit == HV_RC_MB_PERCENT && mb->bw_gran > 1 &&
		    v % mb->bw_gran) {
			uint64_t up = (v / mb->bw_gran + 1) * mb->bw_gran;
			return hv_err_set(err, EINVAL,
			                  "MB:%u: %llu is not a multiple of "
			                  "bandwidth_gran=%u (the kernel would "
			                  "use %llu)",
			                  l->id[i], (unsigned long long)v,
			                  mb->bw_gran, (unsigned long long)up);
		}
	}
	return 0;
}

int hv_rc_validate(const hv_rc_info *info, const hv_rc_schemata *want,
                   hv_err *err)
{
	int rc;

	if (!want->nr)
		return hv_err_set(err, EINVAL, "empty schemata");
	for (uint32_t i = 0; i < want->nr; i++) {
		const hv_rc_line *l = &want->line[i];

		if (hv_rc_res_is_cache(l->res))
			rc = validate_cache(info, l, err);
		else if (!strcmp(l->res, "MB"))
			rc = validate_mb(info, l, err);
		else
			rc = hv_err_set(err, EOPNOTSUPP,
			                "%s: resource not supported", l->res);
		if (rc)
			return rc;
	}
	return 0;
}

int hv_rc_default_schemata(const hv_rc_info *info, const hv_rc_schemata *cur,
                           hv_rc_schemata *out)
{
	if (!info || !cur || !out)
		return -EINVAL;
	*out = *cur;
	for (uint32_t i = 0; i < out->nr; i++) {
		hv_rc_line *l = &out->line[i];
		const hv_rc_cat *c = cat_for(info, l->res);

		for (uint32_t j = 0; j < l->n; j++) {
			if (c && c->present)
				l->val[j] = c->cbm_mask;
			else if (!strcmp(l->res, "MB") && info->mb.present)
				l->val[j] = info->mb.max_bw;
		}
	}
	return 0;
}

/* ---------------- event files ---------------- */

hv_u64 hv_rc_event_parse(const char *text)
{
	char buf[64];
	size_t n = strlen(text);
	char *t;
	uint64_t v;

	if (n >= sizeof(buf))
		return hv_na(HV_NA_ERROR);
	memcpy(buf, text, n + 1);
	t = trim(buf);
	if (!strcmp(t, "Unavailable") || !strcmp(t, "Unassigned"))
		return hv_na(HV_NA_UNAVAILABLE);
	if (!strcmp(t, "Error"))
		return hv_na(HV_NA_ERROR);
	if (hv_parse_u64(t, &v))
		return hv_na(HV_NA_ERROR);
	return hv_val(v);
}

/* ---------------- probe ---------------- */

static int read_u32_opt(const char *dir, const char *file, uint32_t *out,
                        int hex)
{
	char p[PATH_MAX + 64], buf[64];
	uint64_t v;

	if (snprintf(p, sizeof(p), "%s/%s", dir, file) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	if (hv_read_str(p, buf, sizeof(buf), NULL))
		return -ENOENT;
	if (hex ? hv_parse_hex64(buf, &v) : hv_parse_u64(buf, &v))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int read_u64hex(const char *dir, const char *file, uint64_t *out)
{
	char p[PATH_MAX + 64], buf[64];

	if (snprintf(p, sizeof(p), "%s/%s", dir, file) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	if (hv_read_str(p, buf, sizeof(buf), NULL))
		return -ENOENT;
	return hv_parse_hex64(buf, out) ? -EINVAL : 0;
}

static int probe_cat(const char *root, const char *res, int vendor,
                     hv_rc_cat *c, hv_err *err)
{
	char dir[PATH_MAX + 32];
	uint32_t sparse;
	struct stat st;

	memset(c, 0, sizeof(*c));
	snprintf(dir, sizeof(dir), "%s/info/%s", root, res);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return 0;
	if (read_u32_opt(dir, "num_closids", &c->num_closids, 0) ||
	    read_u64hex(dir, "cbm_mask", &c->cbm_mask) || !c->cbm_mask)
		return hv_err_set(
		    err, EINVAL, "%s: unreadable num_closids or cbm_mask", dir);
	if (read_u32_opt(dir, "min_cbm_bits", &c->min_cbm_bits, 0))
		c->min_cbm_bits = 1;
	(void)read_u64hex(dir, "shareable_bits", &c->shareable_bits);
	c->cbm_len = (uint32_t)(64 - __builtin_clzll(c->cbm_mask));
	/* sparse_masks exists since Linux 6.7; before, AMD always allowed
	 * sparse masks and Intel never did. */
	if (!read_u32_opt(dir, "sparse_masks", &sparse, 0))
		c->sparse = sparse != 0;
	else
		c->sparse = vendor == HV_RC_VENDOR_AMD;
	c->present = 1;
	return 0;
}

static int detect_vendor(const hv_env *env)
{
	char p[PATH_MAX], buf[8192];
	const char *v;

	if (hv_env_path(env, HV_ROOT_PROC, p, sizeof(p), "cpuinfo") ||
	    hv_read_file(p, buf, sizeof(buf), NULL) < 0)
		return HV_RC_VENDOR_UNKNOWN;
	v = strstr(buf, "vendor_id");
	if (!v)
		return HV_RC_VENDOR_UNKNOWN;
	{
		const char *nl = strchr(v, '\n');
		size_t l = nl ? (size_t)(nl - v) : strlen(v);
		char line[128];

		snprintf(line, sizeof(line), "%.*s", (int)l, v);
		if (strstr(line, "AuthenticAMD") ||
		    strstr(line, "HygonGenuine"))
			return HV_RC_VENDOR_AMD;
		if (strstr(line, "GenuineIntel"))
			return HV_RC_VENDOR_INTEL;
	}
	return HV_RC_VENDOR_UNKNOWN;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* info/MB: the root schemata's MB line holds the maximum, which also tells
 * the unit apart. */
static int probe_mb(const char *root, int vendor, hv_rc_schemata *sch,
                    hv_rc_mb *mb, hv_err *err)
{
	char dir[PATH_MAX + 32];
	struct stat st;
	hv_rc_line *l;

	snprintf(dir, sizeof(dir), "%s/info/MB", root);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return 0;
	l = hv_rc_schemata_find(sch, "MB");
	if (read_u32_opt(dir, "num_closids", &mb->num_closids, 0))
		return hv_err_set(err, EINVAL, "%s/num_closids: unreadable",
		                  dir);
	(void)read_u32_opt(dir, "min_bandwidth", &mb->min_bw, 0);
	if (read_u32_opt(dir, "bandwidth_gran", &mb->bw_gran, 0))
		mb->bw_gran = 1;
	(void)read_u32_opt(dir, "delay_linear", &mb->delay_linear, 0);
	if (vendor == HV_RC_VENDOR_AMD) {
		mb->unit = HV_RC_MB_AMD8;
		mb->max_bw = 2048;
	} else {
		mb->unit = HV_RC_MB_PERCENT;
		mb->max_bw = 100;
	}
	/* The root holds the maximum; above 100 on Intel means the
	 * mba_MBps software controller (MiB/s). */
	if (l && l->n) {
		uint64_t mx = 0;
		for (uint32_t i = 0; i < l->n; i++)
			mx = l->val[i] > mx ? l->val[i] : mx;
		if (mb->unit == HV_RC_MB_PERCENT && mx > 100) {
			mb->unit = HV_RC_MB_MBPS;
			mb->max_bw =
			    mx > UINT32_MAX ? UINT32_MAX : (uint32_t)mx;
		} else if (mb->unit == HV_RC_MB_AMD8 && mx > 0) {
			mb->max_bw = (uint32_t)mx;
		}
	}
	mb->present = 1;
	return 0;
}

/* Usable CLOSIDs: the fewest any present resource offers. */
static uint32_t min_closids(const hv_rc_info *out)
{
	const hv_rc_cat *cs[] = {&out->l3, &out->l3code, &out->l3data,
	                         &out->l2};
	uint32_t n = 0;

	for (size_t i = 0; i < 4; i++)
		if (cs[i]->present && (!n || cs[i]->num_closids < n))
			n = cs[i]->num_closids;
	if (out->mb.present && (!n || out->mb.num_closids < n))
		n = out->mb.num_closids;
	return n;
}

/* info/L3_MON: RMIDs and the monitoring events offered. */
static void probe_mon(const char *root, hv_rc_info *out)
{
	char dir[PATH_MAX + 32], p[PATH_MAX + 64], buf[1024];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/info/L3_MON", root);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return;
	out->mon = 1;
	(void)read_u32_opt(dir, "num_rmids", &out->num_rmids, 0);
	snprintf(p, sizeof(p), "%s/mon_features", dir);
	if (hv_read_file(p, buf, sizeof(buf), NULL) >= 0) {
		char *save = NULL;
		for (char *t = strtok_r(buf, " \n", &save); t;
		     t = strtok_r(NULL, " \n", &save)) {
			if (!strcmp(t, "llc_occupancy"))
				out->mon_features |= HV_RC_MON_OCC;
			else if (!strcmp(t, "mbm_total_bytes"))
				out->mon_features |= HV_RC_MON_TOTAL;
			else if (!strcmp(t, "mbm_local_bytes"))
				out->mon_features |= HV_RC_MON_LOCAL;
		}
	}
}

/* L3 domains: mon_data/mon_L3_XX, else the schemata's ids; sorted. */
static void probe_l3_ids(const char *root, hv_rc_schemata *sch, hv_rc_info *out)
{
	char dir[PATH_MAX + 32];
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/mon_data", root);
	if ((d = opendir(dir))) {
		struct dirent *e;
		while ((e = readdir(d)) && out->nr_l3 < HV_RC_MAX_DOM) {
			uint64_t id;
			if (strncmp(e->d_name, "mon_L3_", 7) ||
			    hv_parse_u64(e->d_name + 7, &id) || id > UINT32_MAX)
				continue;
			out->l3_id[out->nr_l3++] = (uint32_t)id;
		}
		closedir(d);
	}
	if (!out->nr_l3) {
		hv_rc_line *l = hv_rc_schemata_find(sch, "L3");
		if (!l)
			l = hv_rc_schemata_find(sch, "L3CODE");
		if (!l)
			l = hv_rc_schemata_find(sch, "MB");
		for (uint32_t i = 0; l && i < l->n && i < HV_RC_MAX_DOM; i++)
			out->l3_id[out->nr_l3++] = l->id[i];
	}
	qsort(out->l3_id, out->nr_l3, sizeof(out->l3_id[0]), cmp_u32);
}

static int probe_in(const hv_env *env, const char *root, hv_rc_info *out,
                    hv_err *err)
{
	char dir[PATH_MAX + 32], p[PATH_MAX + 64], buf[1024];
	hv_rc_schemata sch;
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(dir, sizeof(dir), "%s/info", root);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return hv_err_set(err, ENOENT, "resctrl is not mounted at %s",
		                  root);
	out->vendor = detect_vendor(env);
	if ((rc = probe_cat(root, "L3", out->vendor, &out->l3, err)) ||
	    (rc = probe_cat(root, "L3CODE", out->vendor, &out->l3code, err)) ||
	    (rc = probe_cat(root, "L3DATA", out->vendor, &out->l3data, err)) ||
	    (rc = probe_cat(root, "L2", out->vendor, &out->l2, err)))
		return rc;
	out->cdp = out->l3code.present && out->l3data.present;

	/* root schemata: domain ids and MB scale */
	memset(&sch, 0, sizeof(sch));
	snprintf(p, sizeof(p), "%s/schemata", root);
	if (hv_read_file(p, buf, sizeof(buf), NULL) >= 0)
		(void)hv_rc_schemata_parse(buf, &sch, NULL);

	if ((rc = probe_mb(root, out->vendor, &sch, &out->mb, err)))
		return rc;
	out->num_closids = min_closids(out);
	probe_mon(root, out);
	probe_l3_ids(root, &sch, out);
	return 0;
}

int hv_rc_open(const hv_env *env, hv_resctrl **out, hv_err *err)
{
	hv_resctrl *rc = calloc(1, sizeof(*rc));
	int r;

	*out = NULL;
	if (!rc)
		return hv_err_set(err, ENOMEM, "out of memory");
	rc->fd = -1;
	rc->env = *env;
	if (hv_env_path(env, HV_ROOT_SYS, rc->root, sizeof(rc->root),
	                "fs/resctrl")) {
		r = hv_err_set(err, ENAMETOOLONG, "resctrl path too long");
		goto out;
	}
	if ((r = probe_in(env, rc->root, &rc->info, err)))
		goto out;
	rc->fd = open(rc->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rc->fd < 0) {
		r = hv_err_set(err, errno, "%s: %s", rc->root, strerror(errno));
		goto out;
	}
	*out = rc;
	rc = NULL;
out:
	hv_rc_close(rc);
	return r;
}

void hv_rc_close(hv_resctrl *rc)
{
	if (!rc)
		return;
	if (rc->fd >= 0)
		close(rc->fd);
	free(rc);
}

const hv_rc_info *hv_rc_info_get(const hv_resctrl *rc)
{
	return &rc->info;
}

/* ---------------- reads ---------------- */

int rc_schemata_read(hv_resctrl *rc, const char *group, hv_rc_schemata *out,
                     hv_err *err)
{
	char p[PATH_MAX + 128], buf[4096];
	ssize_t n;

	if (rc_path(rc, p, sizeof(p), group, "schemata"))
		return hv_err_set(err, ENAMETOOLONG, "path too long");
	n = hv_read_file(p, buf, sizeof(buf), err);
	if (n < 0)
		return (int)n;
	return hv_rc_schemata_parse(buf, out, err) ? hv_err_prefix(err, "%s", p)
	                                           : 0;
}

int hv_rc_schemata_read(hv_resctrl *rc, const char *group, hv_rc_schemata *out,
                        hv_err *err)
{
	int r = rc_lock(rc, LOCK_SH, err);

	if (r)
		return r;
	r = rc_schemata_read(rc, group, out, err);
	rc_unlock(rc);
	return r;
}

static int read_all(const char *path, char **out, hv_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, len = 0;
	char *buf = NULL;
	int r = 0;

	*out = NULL;
	if (fd < 0)
		return hv_err_set(err, errno, "%s: %s", path, strerror(errno));
	buf = malloc(cap);
	if (!buf) {
		r = hv_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n;
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				r = hv_err_set(err, ENOMEM, "out of memory");
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = hv_err_set(err, errno, "%s: %s", path,
			               strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return r;
}

int rc_tasks_read(hv_resctrl *rc, const char *group, int32_t **tids, size_t *n,
                  hv_err *err)
{
	char p[PATH_MAX + 128], *text = NULL, *save = NULL;
	int32_t *v = NULL;
	size_t cnt = 0, cap = 0;
	int r;

	*tids = NULL;
	*n = 0;
	if (rc_path(rc, p, sizeof(p), group, "tasks"))
		return hv_err_set(err, ENAMETOOLONG, "path too long");
	if ((r = read_all(p, &text, err)))
		return r;
	for (char *t = strtok_r(text, " \n", &save); t;
	     t = strtok_r(NULL, " \n", &save)) {
		uint64_t x;
		if (hv_parse_u64(t, &x) || x > INT32_MAX) {
			r = hv_err_set(err, EINVAL, "%s: bad tid \"%.16s\"", p,
			               t);
			goto out;
		}
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 64;
			int32_t *nv = realloc(v, nc * sizeof(*v));
			if (!nv) {
				r = hv_err_set(err, ENOMEM, "out of memory");
				goto out;
			}
			v = nv;
			cap = nc;
		}
		v[cnt++] = (int32_t)x;
	}
	*tids = v;
	*n = cnt;
	v = NULL;
out:
	free(v);
	free(text);
	return r;
}

int hv_rc_tasks_read(hv_resctrl *rc, const char *group, int32_t *tids,
                     size_t max, size_t *n, hv_err *err)
{
	int32_t *all = NULL;
	size_t cnt = 0;
	int r = rc_lock(rc, LOCK_SH, err);

	*n = 0;
	if (r)
		return r;
	r = rc_tasks_read(rc, group, &all, &cnt, err);
	rc_unlock(rc);
	if (r)
		return r;
	for (size_t i = 0; i < cnt && i < max; i++)
		tids[i] = all[i];
	*n = cnt < max ? cnt : max;
	free(all);
	return 0;
}

static int list_dirs(const char *dir, int skip_special,
                     char (*out)[HV_RC_NAME_LEN], size_t max, size_t *n,
                     hv_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	*n = 0;
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return hv_err_set(err, errno, "%s: %s", dir, strerror(errno));
	}
	while ((e = readdir(d))) {
		char p[PATH_MAX + 300];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (skip_special && (!strcmp(e->d_name, "info") ||
		                     !strcmp(e->d_name, "mon_groups") ||
		                     !strcmp(e->d_name, "mon_data")))
			continue;
		if (strlen(e->d_name) >= HV_RC_NAME_LEN)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (stat(p, &st) || !S_ISDIR(st.st_mode))
			continue;
		if (*n < max)
			snprintf(out[*n], HV_RC_NAME_LEN, "%s", e->d_name);
		(*n)++;
	}
	closedir(d);
	if (*n > max)
		*n = max;
	return 0;
}

int rc_classes(hv_resctrl *rc, char (*out)[HV_RC_NAME_LEN], size_t max,
               size_t *n, hv_err *err)
{
	return list_dirs(rc->root, 1, out, max, n, err);
}

int rc_mon_groups(hv_resctrl *rc, const char *cls, char (*out)[HV_RC_NAME_LEN],
                  size_t max, size_t *n, hv_err *err)
{
	char p[PATH_MAX + 128];

	if (rc_path(rc, p, sizeof(p), cls, "mon_groups"))
		return hv_err_set(err, ENAMETOOLONG, "path too long");
	return list_dirs(p, 0, out, max, n, err);
}

int hv_rc_classes(hv_resctrl *rc, char (*out)[HV_RC_NAME_LEN], size_t max,
                  size_t *n, hv_err *err)
{
	int r = rc_lock(rc, LOCK_SH, err);

	if (r)
		return r;
	r = rc_classes(rc, out, max, n, err);
	rc_unlock(rc);
	return r;
}

int hv_rc_mon_groups(hv_resctrl *rc, const char *cls,
                     char (*out)[HV_RC_NAME_LEN], size_t max, size_t *n,
                     hv_err *err)
{
	int r = rc_lock(rc, LOCK_SH, err);

	if (r)
		return r;
	r = rc_mon_groups(rc, cls, out, max, n, err);
	rc_unlock(rc);
	return r;
}

/* ---------------- monitoring reads ---------------- */

static const char *const ev_file[3] = {"llc_occupancy", "mbm_total_bytes",
                                       "mbm_local_bytes"};

int rc_mon_read(hv_resctrl *rc, const char *group, hv_rc_mon_raw *out,
                hv_err *err)
{
	const hv_rc_info *in = &rc->info;

	memset(out, 0, sizeof(*out));
	if (!in->mon)
		return hv_err_set(err, EOPNOTSUPP, "no L3 monitoring here");
	for (uint32_t i = 0; i < in->nr_l3; i++) {
		hv_u64 *dst[3] = {&out->occ[i], &out->total[i], &out->local[i]};

		out->id[i] = in->l3_id[i];
		for (int e = 0; e < 3; e++) {
			char p[PATH_MAX + 200], rel[96], buf[64];

			if (!(in->mon_features & (1u << e))) {
				*dst[e] = hv_na(HV_NA_UNSUPPORTED);
				continue;
			}
			snprintf(rel, sizeof(rel), "mon_data/mon_L3_%02u/%s",
			         in->l3_id[i], ev_file[e]);
			if (rc_path(rc, p, sizeof(p), group, rel))
				return hv_err_set(err, ENAMETOOLONG,
				                  "path too long");
			if (hv_read_file(p, buf, sizeof(buf), NULL) < 0) {
				if (errno == ENOENT && i == 0 && e == 0) {
					/* the group itself vanished */
					struct stat st;
					char g[PATH_MAX + 128];
					rc_path(rc, g, sizeof(g), group, "");
					if (stat(g, &st))
						return hv_err_set(
						    err, ENOENT,
						    "%s: group vanished", g);
				}
				*dst[e] = hv_na(HV_NA_UNAVAILABLE);
				continue;
			}
			*dst[e] = hv_rc_event_parse(buf);
		}
	}
	out->n = in->nr_l3;
	return 0;
}

/* ---------------- procfs ---------------- */

int rc_pid_tids(const hv_env *env, pid_t pid, int32_t **tids, size_t *n,
                hv_err *err)
{
	char p[PATH_MAX];
	DIR *d;
	struct dirent *e;
	int32_t *v = NULL;
	size_t cnt = 0, cap = 0;
	int r = 0;

	*tids = NULL;
	*n = 0;
	if (hv_env_path(env, HV_ROOT_PROC, p, sizeof(p), "%d/task", (int)pid))
		return hv_err_set(err, ENAMETOOLONG, "path too long");
	if (!(d = opendir(p)))
		return hv_err_set(err, errno == ENOENT ? ESRCH : errno,
		                  "process %d: %s", (int)pid,
		                  errno == ENOENT ? "gone" : strerror(errno));
	while ((e = readdir(d))) {
		uint64_t t;
		if (hv_parse_u64(e->d_name, &t) || t > INT32_MAX)
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 32;
			int32_t *nv = realloc(v, nc * sizeof(*v));
			if (!nv) {
				r = hv_err_set(err, ENOMEM, "out of memory");
				goto out;
			}
			v = nv;
			cap = nc;
		}
		v[cnt++] = (int32_t)t;
	}
	if (!cnt) {
		r = hv_err_set(err, ESRCH, "process %d has no threads",
		               (int)pid);
		goto out;
	}
	*tids = v;
	*n = cnt;
	v = NULL;
out:
	closedir(d);
	free(v);
	return r;
}
