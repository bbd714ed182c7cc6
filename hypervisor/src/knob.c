/* SPDX-License-Identifier: MIT */
#include "hv/knob.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sample.h"

/* Suffixes after "cpu/N/", by kind (cstate is built apart). */
static const char *const cpu_leaf[] = {
    [HV_KNOB_ONLINE] = "online",   [HV_KNOB_GOVERNOR] = "governor",
    [HV_KNOB_MIN_KHZ] = "min_khz", [HV_KNOB_MAX_KHZ] = "max_khz",
    [HV_KNOB_EPP] = "epp",
};

#define XEN_MAX_CSTATE "xen/max_cstate"
#define QOS_LATENCY "qos/cpu_dma_latency"

bool hv_knob_is_cpu(hv_knob_kind kind)
{
	return kind <= HV_KNOB_CSTATE_DISABLE;
}

/* Plain decimal below limit: digits only, no leading zero. *end is left
 * after the digits. -ENOTSUP when not a number, -ERANGE when too big. */
static int plain_num(const char *s, unsigned limit, unsigned *out,
                     const char **end)
{
	unsigned long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return -ENOTSUP;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v >= limit)
			v = limit; /* saturate: no overflow, still too big */
	}
	*end = p;
	if (v >= limit)
		return -ERANGE;
	*out = (unsigned)v;
	return 0;
}

static int parse_cpu_rest(const char *name, const char *rest, hv_knob *k,
                          hv_err *err)
{
	const char *end;
	int rc;

	for (size_t i = 0; i < sizeof(cpu_leaf) / sizeof(cpu_leaf[0]); i++)
		if (cpu_leaf[i] && !strcmp(rest, cpu_leaf[i])) {
			k->kind = (hv_knob_kind)i;
			return 0;
		}
	if (strncmp(rest, "cstate/", 7))
		return hv_err_set(err, ENOTSUP, "%s: no such knob", name);
	rc = plain_num(rest + 7, HV_CSTATE_MAX, &k->state, &end);
	if (rc == -ERANGE)
		return hv_err_set(err, ERANGE,
		                  "%s: C-state index is %u at most", name,
		                  HV_CSTATE_MAX - 1);
	if (rc || strcmp(end, "/disable"))
		return hv_err_set(err, ENOTSUP, "%s: no such knob", name);
	k->kind = HV_KNOB_CSTATE_DISABLE;
	return 0;
}

int hv_knob_parse(const char *name, hv_knob *k, hv_err *err)
{
	const char *end;
	int rc;

	memset(k, 0, sizeof(*k));
	if (!name)
		return hv_err_set(err, EINVAL, "no knob name");
	if (!strcmp(name, XEN_MAX_CSTATE)) {
		k->kind = HV_KNOB_XEN_MAX_CSTATE;
		return 0;
	}
	if (!strcmp(name, QOS_LATENCY)) {
		k->kind = HV_KNOB_QOS_LATENCY;
		return 0;
	}
	if (strncmp(name, "cpu/", 4))
		return hv_err_set(err, ENOTSUP, "%s: no such knob", name);
	rc = plain_num(name + 4, HV_KNOB_MAXCPU, &k->cpu, &end);
	if (rc == -ERANGE)
		return hv_err_set(err, ERANGE, "%s: CPU number is %u at most",
		                  name, HV_KNOB_MAXCPU - 1);
	if (rc || *end != '/')
		return hv_err_set(err, ENOTSUP, "%s: no such knob", name);
	return parse_cpu_rest(name, end + 1, k, err);
}

int hv_knob_fmt(const hv_knob *k, char *buf, size_t len)
{
	int n;

	if (!k || (unsigned)k->kind >= HV_KNOB_NKINDS ||
	    (hv_knob_is_cpu(k->kind) && k->cpu >= HV_KNOB_MAXCPU) ||
	    (k->kind == HV_KNOB_CSTATE_DISABLE && k->state >= HV_CSTATE_MAX))
		return -EINVAL;
	if (k->kind == HV_KNOB_XEN_MAX_CSTATE)
		n = snprintf(buf, len, "%s", XEN_MAX_CSTATE);
	else if (k->kind == HV_KNOB_QOS_LATENCY)
		n = snprintf(buf, len, "%s", QOS_LATENCY);
	else if (k->kind == HV_KNOB_CSTATE_DISABLE)
		n = snprintf(buf, len, "cpu/%u/cstate/%u/disable", k->cpu,
		             k->state);
	else
		n = snprintf(buf, len, "cpu/%u/%s", k->cpu, cpu_leaf[k->kind]);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return n;
}

/* ---- transactions ---- */

#define TAG_LEN 32

struct hv_txn {
	hv_knob_io io;
	hv_txn_hook before;
	void *hook_ctx;
	hv_change *chg;       /* oldest first */
	char (*tag)[TAG_LEN]; /* parallel to chg */
	size_t n, cap;
};

static int be_get(void *ctx, const char *knob, char *val, size_t len,
                  hv_err *err)
{
	return hv_knob_get(ctx, knob, val, len, err);
}

static int be_set(void *ctx, const char *knob, const char *val, hv_err *err)
{
	return hv_knob_set(ctx, knob, val, NULL, err);
}

hv_knob_io hv_knob_io_backend(hv_backend *b)
{
	hv_knob_io io = {b, be_get, be_set};
	return io;
}

int hv_txn_begin(const hv_knob_io *io, hv_txn **out, hv_err *err)
{
	hv_txn *t;

	*out = NULL;
	if (!io || !io->get || !io->set)
		return hv_err_set(err, EINVAL, "txn: no knob reader/writer");
	t = calloc(1, sizeof(*t));
	if (!t)
		return hv_err_set(err, ENOMEM, "out of memory");
	t->io = *io;
	*out = t;
	return 0;
}

void hv_txn_set_hook(hv_txn *t, hv_txn_hook before, void *ctx)
{
	t->before = before;
	t->hook_ctx = ctx;
}

long hv_txn_find(const hv_txn *t, const char *knob)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->chg[i].knob, knob))
			return (long)i;
	return -1;
}

static int grow(hv_txn *t)
{
	size_t nc = t->cap ? t->cap * 2 : 16;
	hv_change *c;
	char(*g)[TAG_LEN];

	if (t->n < t->cap)
		return 0;
	c = realloc(t->chg, nc * sizeof(*c));
	if (!c)
		return -ENOMEM;
	t->chg = c;
	g = realloc(t->tag, nc * sizeof(*g));
	if (!g)
		return -ENOMEM;
	t->tag = g;
	t->cap = nc;
	return 0;
}

static void drop(hv_txn *t, size_t i)
{
	memmove(&t->chg[i], &t->chg[i + 1], (t->n - i - 1) * sizeof(*t->chg));
	memmove(&t->tag[i], &t->tag[i + 1], (t->n - i - 1) * sizeof(*t->tag));
	t->n--;
}

static int push(hv_txn *t, const char *knob, const char *old, const char *cur,
                const char *tag)
{
	hv_change *c;

	if (strlen(knob) >= HV_KNOB_LEN || strlen(old) >= HV_KNOB_VAL_LEN ||
	    strlen(cur) >= HV_KNOB_VAL_LEN)
		return -EINVAL;
	if (grow(t))
		return -ENOMEM;
	c = &t->chg[t->n];
	memset(c, 0, sizeof(*c));
	snprintf(c->knob, sizeof(c->knob), "%s", knob);
	snprintf(c->old, sizeof(c->old), "%s", old);
	snprintf(c->new_, sizeof(c->new_), "%s", cur);
	snprintf(t->tag[t->n], TAG_LEN, "%s", tag ? tag : "");
	t->n++;
	return 0;
}

int hv_txn_adopt(hv_txn *t, const char *knob, const char *old, const char *cur,
                 const char *tag)
{
	if (hv_txn_find(t, knob) >= 0)
		return 0; /* the first original wins */
	return push(t, knob, old, cur ? cur : "", tag);
}

int hv_txn_set(hv_txn *t, const char *knob, const char *val, const char *tag,
               hv_err *err)
{
	long i = hv_txn_find(t, knob);
	char cur[HV_KNOB_VAL_LEN], prev[HV_KNOB_VAL_LEN], ptag[TAG_LEN];
	bool first = i < 0;
	int rc;

	if (strlen(val) >= HV_KNOB_VAL_LEN)
		return hv_err_set(err, EINVAL, "%s: value too long", knob);
	if (first) {
		if ((rc = t->io.get(t->io.ctx, knob, cur, sizeof(cur), err)))
			return rc;
		if (!strcmp(cur, val))
			return 1; /* already so: nothing to hold */
		if (push(t, knob, cur, cur, tag))
			return hv_err_set(err, ENOMEM, "%s: cannot record",
			                  knob);
		i = (long)t->n - 1;
	} else if (!strcmp(t->chg[i].new_, val)) {
		return 1;
	}
	hv_change *c = &t->chg[i];
	snprintf(prev, sizeof(prev), "%s", c->new_);
	snprintf(ptag, sizeof(ptag), "%s", t->tag[i]);
	snprintf(c->new_, sizeof(c->new_), "%s", val);
	if (tag)
		snprintf(t->tag[i], TAG_LEN, "%s", tag);
	/* The hook sees the change as it will be (old = the original). */
	if (t->before &&
	    (rc = t->before(t->hook_ctx, HV_TXN_SET, c, t->tag[i], err)))
		goto out;
	rc = t->io.set(t->io.ctx, knob, val, err);
out:
	if (!rc)
		return 0;
	/* Not written: the record goes back to what is on the host. */
	if (first) {
		drop(t, (size_t)i);
	} else {
		snprintf(c->new_, sizeof(c->new_), "%s", prev);
		snprintf(t->tag[i], TAG_LEN, "%s", ptag);
	}
	return rc < 0 ? rc : -EIO;
}

/* Write change i's old value back and forget it; keep it on failure. */
static int undo_one(hv_txn *t, size_t i, hv_err *err)
{
	hv_change *c = &t->chg[i];
	int rc;

	if (t->before &&
	    (rc = t->before(t->hook_ctx, HV_TXN_UNDO, c, t->tag[i], err)))
		return rc < 0 ? rc : -EIO;
	if ((rc = t->io.set(t->io.ctx, c->knob, c->old, err)))
		return rc;
	if (t->before)
		(void)t->before(t->hook_ctx, HV_TXN_UNDONE, c, t->tag[i], NULL);
	drop(t, i);
	return 0;
}

int hv_txn_forget(hv_txn *t, const char *knob)
{
	long i = hv_txn_find(t, knob);

	if (i < 0)
		return -ENOENT;
	drop(t, (size_t)i);
	return 0;
}

int hv_txn_release(hv_txn *t, const char *knob, hv_err *err)
{
	long i = hv_txn_find(t, knob);

	if (i < 0)
		return hv_err_set(err, ENOENT, "%s: not held", knob);
	return undo_one(t, (size_t)i, err);
}

int hv_txn_rollback(hv_txn *t, hv_err *err)
{
	char msg[HV_ERR_MSG] = "";
	size_t off = 0;
	int bad = 0, code = 0;

	for (size_t i = t->n; i-- > 0;) {
		hv_err e = {0};
		char knob[HV_KNOB_LEN];
		snprintf(knob, sizeof(knob), "%s", t->chg[i].knob);
		if (!undo_one(t, i, &e))
			continue;
		bad++;
		if (!code)
			code = e.code ? e.code : EIO;
		if (off < sizeof(msg)) {
			int w = snprintf(msg + off, sizeof(msg) - off,
			                 "%s%s: %s", off ? "; " : "", knob,
			                 e.msg[0] ? e.msg : "failed");
			off += w > 0 ? (size_t)w : 0;
		}
	}
	if (bad)
		hv_err_set(err, code, "%s", msg);
	return bad;
}

void hv_txn_commit(hv_txn *t)
{
	t->n = 0;
}

void hv_txn_free(hv_txn *t)
{
	if (!t)
		return;
	free(t->chg);
	free(t->tag);
	free(t);
}

const hv_change *hv_txn_changes(const hv_txn *t, size_t *n)
{
	*n = t->n;
	return t->chg;
}

const char *hv_txn_tag(const hv_txn *t, size_t i)
{
	return i < t->n ? t->tag[i] : NULL;
}
