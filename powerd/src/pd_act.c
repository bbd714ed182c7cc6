/* SPDX-License-Identifier: MIT */
/* The actuator on libhv's knob services: the held knobs are an hv_txn
 * (first original kept, undo newest first) whose before-hook journals each
 * write and rewrites the state file; the journal and the state file are
 * libhv's durable writers (hv/durable.h), their names hv/rundir.h's.
 * Faults: a journal or state write that fails (disk full, read-only)
 * blocks new changes until a spare file can be written again; a previous
 * run whose held knobs cannot be known is refused, never run over. */
#include "pd_act.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hv/durable.h"
#include "hv/knob.h"
#include "hv/rundir.h"
#include "pd_log.h"

/* Space kept in the run directory so that, when the disk fills, the state
 * file can still say why hv-powerd stopped changing knobs. */
#define PD_RESERVE_BYTES (128u << 10)

struct pd_act {
	pd_knob_ops ops;
	bool dry_run;
	char rundir[PATH_MAX];
	char journal_path[PATH_MAX];
	char state[PATH_MAX];
	char lock[PATH_MAX];
	char reserve[PATH_MAX];
	char config[PATH_MAX];
	hv_journal *j;
	hv_txn *txn; /* the held knobs, in the order first set */
	int lockfd;
	size_t journal_max;
	pd_hold *held; /* txn mirrored for the policies (pd_act_held) */
	size_t nheld;
	unsigned long long seq;
	/* The write in progress, for the before-hook. */
	const char *pend_event, *pend_reason, *pend_prev;
	bool pend_first, hooked;
	const pd_mem *pend_mem;
	char blocked[256]; /* why new changes stopped; "" = they did not */
	bool unknown; /* a previous run's state is unknown: write nothing */
};

static void iso_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_blocked(pd_act *a, const char *what, const char *msg)
{
	if (a->blocked[0] || a->dry_run)
		return;
	snprintf(a->blocked, sizeof(a->blocked), "%s: %s", what, msg);
	pd_log(PD_LOG_ERR,
	       "no new changes until %s can be written again (%s); every held "
	       "knob stays restorable",
	       a->rundir, a->blocked);
}

/* Stamp one record and append it durably through libhv's journal. */
static int write_rec(pd_act *a, hv_journal *j, cJSON *rec, hv_err *err)
{
	char ts[40], *txt;
	int rc;

	iso_now(ts, sizeof(ts));
	cJSON_AddStringToObject(rec, "time", ts);
	cJSON_AddNumberToObject(rec, "mono", mono_now());
	cJSON_AddNumberToObject(rec, "pid", (double)getpid());
	cJSON_AddNumberToObject(rec, "seq", (double)++a->seq);
	if (a->dry_run)
		cJSON_AddBoolToObject(rec, "dry_run", 1);
	txt = cJSON_PrintUnformatted(rec);
	if (!txt)
		return hv_err_set(err, ENOMEM, "out of memory");
	rc = hv_journal_append(j, txt, err);
	free(txt);
	return rc;
}

/* Append one record: it is on disk before the change it announces. */
static int journal(pd_act *a, cJSON *rec)
{
	hv_err e = {0};
	int rc;

	if (!rec)
		return -ENOMEM;
	if (a->unknown || !a->j) {
		cJSON_Delete(rec);
		return -EPERM;
	}
	/* A new file (rotated, vanished) gets its head records first, so
	 * seq rises through the file. */
	if (!(rc = hv_journal_ready(a->j, &e)))
		rc = write_rec(a, a->j, rec, &e);
	if (rc) {
		pd_log(PD_LOG_ERR, "journal: %s", e.msg);
		set_blocked(a, "journal", e.msg);
	}
	cJSON_Delete(rec);
	return rc;
}

static cJSON *record(const char *event, const char *policy, const char *knob,
                     const char *oldv, const char *newv, const char *orig,
                     const char *reason)
{
	cJSON *r = cJSON_CreateObject();

	if (!r)
		return NULL;
	cJSON_AddStringToObject(r, "event", event);
	if (policy)
		cJSON_AddStringToObject(r, "policy", policy);
	if (knob)
		cJSON_AddStringToObject(r, "knob", knob);
	if (oldv)
		cJSON_AddStringToObject(r, "old", oldv);
	if (newv)
		cJSON_AddStringToObject(r, "new", newv);
	if (orig)
		cJSON_AddStringToObject(r, "orig", orig);
	if (reason)
		cJSON_AddStringToObject(r, "reason", reason);
	return r;
}

/* Our lock still names the run directory's lock file (it may have been
 * removed with the directory): take the new one if not. */
static int lock_ok(pd_act *a, hv_err *err)
{
	struct stat ps, fs;

	if (a->dry_run)
		return 0;
	if (!stat(a->lock, &ps) && !fstat(a->lockfd, &fs) &&
	    ps.st_dev == fs.st_dev && ps.st_ino == fs.st_ino)
		return 0;
	int fd = -1, rc = hv_run_lock(a->lock, &fd, err);
	if (rc)
		return rc;
	close(a->lockfd);
	a->lockfd = fd;
	pd_log(PD_LOG_WARN, "%s was gone: taken again", a->lock);
	return 0;
}

/* A new journal file (rotated, or made again after it vanished) starts
 * with one "held" record per held knob: replaying it alone finds every
 * original. */
static int journal_head(void *ctx, hv_journal *j, hv_err *err)
{
	pd_act *a = ctx;
	const hv_change *c;
	size_t n;
	int rc = lock_ok(a, err);

	c = hv_txn_changes(a->txn, &n);
	for (size_t i = 0; i < n && !rc; i++) {
		cJSON *r = record("held", hv_txn_tag(a->txn, i), c[i].knob,
		                  NULL, c[i].new_, c[i].old, "journal rotated");
		if (!r)
			return hv_err_set(err, ENOMEM, "out of memory");
		rc = write_rec(a, j, r, err);
		cJSON_Delete(r);
	}
	return rc;
}

static cJSON *held_json(const pd_act *a)
{
	cJSON *arr = cJSON_CreateArray();
	const hv_change *c;
	size_t n;

	c = hv_txn_changes(a->txn, &n);
	for (size_t i = 0; arr && i < n; i++) {
		cJSON *h = cJSON_CreateObject();
		if (!h)
			break;
		cJSON_AddStringToObject(h, "knob", c[i].knob);
		cJSON_AddStringToObject(h, "orig", c[i].old);
		cJSON_AddStringToObject(h, "cur", c[i].new_);
		cJSON_AddStringToObject(h, "policy", hv_txn_tag(a->txn, i));
		cJSON_AddItemToArray(arr, h);
	}
	return arr;
}

static cJSON *num_or_null(double v)
{
	return isnan(v) || isinf(v) ? cJSON_CreateNull()
	                            : cJSON_CreateNumber(v);
}

/* Machine-check counts since hv-powerd started and the pages with errors:
 * hvctl ras shows them (a one-shot tool would count only its own second). */
static cJSON *ras_json(const pd_view *v)
{
	cJSON *o = cJSON_CreateObject(), *cpus, *pages;
	char hex[32];

	if (!o)
		return NULL;
	cJSON_AddBoolToObject(o, "ok", v->ras_ok);
	cJSON_AddStringToObject(o, "note", v->ras_note);
	cpus = cJSON_AddArrayToObject(o, "cpus");
	for (unsigned i = 0; v->ras_ok && cpus && i < v->ncpu; i++) {
		const pd_cpu *c = &v->cpu[i];
		cJSON *e = cJSON_CreateObject();
		if (!e)
			break;
		cJSON_AddNumberToObject(e, "id", c->id);
		cJSON_AddItemToObject(e, "ce",
		                      c->ce_ok
		                          ? cJSON_CreateNumber((double)c->ce)
		                          : cJSON_CreateNull());
		cJSON_AddItemToObject(e, "ue",
		                      c->ce_ok
		                          ? cJSON_CreateNumber((double)c->ue)
		                          : cJSON_CreateNull());
		cJSON_AddItemToObject(e, "last_bank",
		                      c->last_bank >= 0
		                          ? cJSON_CreateNumber(c->last_bank)
		                          : cJSON_CreateNull());
		cJSON_AddItemToArray(cpus, e);
	}
	pages = cJSON_AddArrayToObject(o, "pages");
	for (unsigned i = 0; pages && i < v->npage; i++) {
		const pd_pagev *p = &v->page[i];
		cJSON *e = cJSON_CreateObject();
		if (!e)
			break;
		snprintf(hex, sizeof(hex), "0x%llx",
		         (unsigned long long)p->addr);
		cJSON_AddStringToObject(e, "addr", hex);
		cJSON_AddNumberToObject(e, "ce", (double)p->ce);
		cJSON_AddNumberToObject(e, "ue", (double)p->ue);
		cJSON_AddStringToObject(e, "state", p->state ? p->state : "");
		cJSON_AddStringToObject(e, "reason", p->reason);
		cJSON_AddItemToArray(pages, e);
	}
	return o;
}

static void add_cpus(cJSON *st, const char *key, unsigned *cpus, unsigned n)
{
	cJSON *arr = cJSON_CreateArray();

	for (unsigned i = 0; i < n && i < 1024; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateNumber(cpus[i]));
	cJSON_AddItemToObject(st, key, arr);
}

static void add_view(cJSON *st, const pd_view *v)
{
	cJSON *doms = cJSON_CreateArray();

	cJSON_AddItemToObject(st, "demand_cpus", num_or_null(v->demand_cpus));
	cJSON_AddItemToObject(st, "pkg_watts", num_or_null(v->pkg_watts));
	for (unsigned i = 0; i < v->ndom; i++) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "name", v->dom[i].name);
		cJSON_AddItemToObject(d, "cpu_pct",
		                      num_or_null(v->dom[i].cpu_pct));
		cJSON_AddItemToObject(d, "watts", num_or_null(v->dom[i].watts));
		cJSON_AddItemToObject(d, "energy_j",
		                      num_or_null(v->dom[i].energy_j));
		cJSON_AddItemToArray(doms, d);
	}
	cJSON_AddItemToObject(st, "domains", doms);
}

static char *state_text(pd_act *a, const pd_mem *m, const pd_view *v)
{
	cJSON *st = cJSON_CreateObject();
	char ts[40], *txt;

	if (!st)
		return NULL;
	iso_now(ts, sizeof(ts));
	cJSON_AddNumberToObject(st, "version", 1);
	cJSON_AddNumberToObject(st, "pid", (double)getpid());
	cJSON_AddStringToObject(st, "updated", ts);
	cJSON_AddBoolToObject(st, "dry_run", a->dry_run);
	cJSON_AddStringToObject(st, "config", a->config);
	cJSON_AddStringToObject(st, "journal", a->journal_path);
	cJSON_AddItemToObject(st, "blocked",
	                      a->blocked[0] ? cJSON_CreateString(a->blocked)
	                                    : cJSON_CreateNull());
	cJSON_AddItemToObject(st, "held", held_json(a));
	if (m) {
		unsigned cpus[1024];
		add_cpus(st, "parked", cpus, pd_mem_parked(m, cpus, 1024));
		add_cpus(st, "hwerr_offlined", cpus,
		         pd_mem_hwerr_offlined(m, cpus, 1024));
	}
	if (v) {
		add_view(st, v);
		cJSON_AddItemToObject(st, "ras", ras_json(v));
	}
	txt = cJSON_Print(st);
	cJSON_Delete(st);
	return txt;
}

/* The spare file: written when there is room, given up when the disk is
 * full so the state file can still be replaced. */
static int make_reserve(pd_act *a, hv_err *err)
{
	char *zero = calloc(1, PD_RESERVE_BYTES);
	int rc;

	if (!zero)
		return hv_err_set(err, ENOMEM, "out of memory");
	rc = hv_file_replace(a->reserve, zero, PD_RESERVE_BYTES, 0600, err);
	free(zero);
	return rc;
}

/* Blocked, and the run directory writable again with room to spare:
 * new changes may resume. */
static void try_resume(pd_act *a)
{
	char was[sizeof(a->blocked)];
	hv_err e = {0};

	if (!a->blocked[0] || lock_ok(a, &e) || make_reserve(a, &e))
		return;
	snprintf(was, sizeof(was), "%s", a->blocked);
	a->blocked[0] = '\0';
	cJSON *r = record("note", "powerd", NULL, NULL, NULL, NULL, NULL);
	char msg[400];
	snprintf(msg, sizeof(msg),
	         "%s is writable again: changes resume "
	         "(stopped by %s)",
	         a->rundir, was);
	if (r) {
		cJSON_AddStringToObject(r, "reason", msg);
		cJSON_AddStringToObject(r, "level", "warn");
	}
	if (!journal(a, r))
		pd_log(PD_LOG_WARN, "%s", msg);
}

int pd_act_write_state(pd_act *a, const pd_mem *m, const pd_view *v)
{
	bool was = a->blocked[0];
	hv_err e = {0};
	char *txt;
	int rc;

	if (a->unknown)
		return -EPERM;
	if (!a->dry_run)
		try_resume(a);
	if (!(txt = state_text(a, m, v)))
		return -ENOMEM;
	rc = hv_file_replace(a->state, txt, strlen(txt), 0644, &e);
	if (rc == -ENOENT && !mkdir(a->rundir, 0755)) /* the dir vanished */
		rc = hv_file_replace(a->state, txt, strlen(txt), 0644, &e);
	if (rc && !a->dry_run) {
		set_blocked(a, "state file", e.msg);
		free(txt);
		/* Give the spare room up so that the state says why; the
		 * write still counts as failed (no change may follow it). */
		(void)hv_file_remove(a->reserve, NULL);
		if ((txt = state_text(a, m, v)))
			(void)hv_file_replace(a->state, txt, strlen(txt), 0644,
			                      NULL);
	}
	if (rc && !was)
		pd_log(PD_LOG_ERR, "state: %s", e.msg);
	free(txt);
	return rc;
}

/* Mirror the transaction for pd_act_held (the policies' view). */
static void sync_held(pd_act *a)
{
	const hv_change *c;
	size_t n;

	c = hv_txn_changes(a->txn, &n);
	if (n > a->nheld || !a->held) {
		pd_hold *p = realloc(a->held, (n ? n : 1) * sizeof(*p));
		if (!p)
			return;
		a->held = p;
	}
	for (size_t i = 0; i < n; i++) {
		pd_hold *h = &a->held[i];
		memset(h, 0, sizeof(*h));
		snprintf(h->knob, sizeof(h->knob), "%s", c[i].knob);
		snprintf(h->orig, sizeof(h->orig), "%s", c[i].old);
		snprintf(h->cur, sizeof(h->cur), "%s", c[i].new_);
		snprintf(h->policy, sizeof(h->policy), "%s",
		         hv_txn_tag(a->txn, i));
	}
	a->nheld = n;
}

/* Before every write: the record (and, for a set, the state file with the
 * knob in it) is on disk first. */
static int before_write(void *ctx, hv_txn_op op, const hv_change *c,
                        const char *tag, hv_err *err)
{
	pd_act *a = ctx;
	bool restore = a->pend_event && !strcmp(a->pend_event, "restore");
	cJSON *r;

	a->hooked = true;
	if (op == HV_TXN_UNDONE) {
		if (!a->dry_run) {
			journal(a,
			        record(restore ? "restored" : "released", tag,
			               c->knob, c->new_, c->old, c->old, NULL));
			if (restore)
				pd_log(PD_LOG_INFO, "restored %s = %s", c->knob,
				       c->old);
		}
		return 0;
	}
	if (op == HV_TXN_UNDO) {
		r = record(restore ? "restore" : "release", tag, c->knob,
		           c->new_, c->old, c->old, a->pend_reason);
		/* A restore goes on unjournalled: it puts the original back,
		 * and a repeat after a crash writes it again. */
		if (journal(a, r) && !restore)
			return hv_err_set(err, EIO, "not journalled");
		return 0;
	}
	r = record("set", tag, c->knob, a->pend_first ? c->old : a->pend_prev,
	           c->new_, c->old, a->pend_reason);
	if (r)
		cJSON_AddBoolToObject(r, "first", a->pend_first);
	if (journal(a, r) ||
	    (!a->dry_run && pd_act_write_state(a, a->pend_mem, NULL)))
		return hv_err_set(err, EIO, "not on disk");
	return 0;
}

/* The transaction's writer: the daemon's knob ops, nothing in dry-run. */
static int io_get(void *ctx, const char *knob, char *val, size_t len,
                  hv_err *err)
{
	pd_act *a = ctx;
	return a->ops.get(a->ops.ctx, knob, val, len, err);
}

static int io_set(void *ctx, const char *knob, const char *val, hv_err *err)
{
	pd_act *a = ctx;
	long i;

	if (a->dry_run)
		return 0;
	i = hv_txn_find(a->txn, knob);
	if (i >= 0 && a->pend_event) { /* an undo: orig back */
		const hv_change *c;
		size_t n;
		c = hv_txn_changes(a->txn, &n);
		return a->ops.undo(a->ops.ctx, knob, c[i].new_, val, err);
	}
	return a->ops.set(a->ops.ctx, knob, val, err);
}

static int open_files(pd_act *a, hv_err *err)
{
	/* A dry run does not own the journal (no lock): it neither rotates
	 * it nor cuts a tail a running hv-powerd may be writing. */
	hv_journal_opts jo = {a->journal_path,
	                      a->dry_run ? 0 : a->journal_max,
	                      0644,
	                      journal_head,
	                      a,
	                      a->dry_run};
	int rc;

	if (mkdir(a->rundir, 0755) && errno != EEXIST)
		return hv_err_set(err, errno, "%s: %s", a->rundir,
		                  strerror(errno));
	if (!a->dry_run && (rc = hv_run_lock(a->lock, &a->lockfd, err))) {
		if (rc == -EROFS)
			hv_err_prefix(err, "the run directory is read-only: "
			                   "hv-powerd journals every change "
			                   "before making it, so it does not "
			                   "start");
		return rc;
	}
	if ((rc = hv_journal_open(&jo, &a->j, err)))
		return rc;
	if (hv_journal_cut(a->j))
		pd_log(PD_LOG_WARN,
		       "%s: cut %zu bytes of a torn last record (a change it "
		       "announced was never made)",
		       a->journal_path, hv_journal_cut(a->j));
	if (!a->dry_run) {
		hv_err e = {0};
		if (make_reserve(a, &e))
			set_blocked(a, "spare file", e.msg);
	}
	return 0;
}

int pd_act_open(const pd_act_opts *o, const pd_knob_ops *ops, pd_act **out,
                hv_err *err)
{
	pd_act *a = calloc(1, sizeof(*a));
	hv_knob_io io;
	int rc = 0;

	*out = NULL;
	if (!a)
		return hv_err_set(err, ENOMEM, "out of memory");
	a->lockfd = -1;
	a->ops = *ops;
	a->dry_run = o->dry_run;
	a->journal_max = o->journal_max ? o->journal_max : 8u << 20;
	snprintf(a->rundir, sizeof(a->rundir), "%s", o->rundir);
	snprintf(a->config, sizeof(a->config), "%s",
	         o->config_path ? o->config_path : "");
	if (hv_run_path(a->rundir, HV_RUN_JOURNAL, a->journal_path,
	                sizeof(a->journal_path)) ||
	    hv_run_path(a->rundir,
	                a->dry_run ? HV_RUN_STATE_DRYRUN : HV_RUN_STATE,
	                a->state, sizeof(a->state)) ||
	    hv_run_path(a->rundir, HV_RUN_LOCK, a->lock, sizeof(a->lock)) ||
	    hv_run_path(a->rundir, HV_RUN_RESERVE, a->reserve,
	                sizeof(a->reserve))) {
		rc = hv_err_set(err, ENAMETOOLONG, "%s: path too long",
		                a->rundir);
		goto out;
	}
	io = (hv_knob_io){a, io_get, io_set};
	if ((rc = hv_txn_begin(&io, &a->txn, err)))
		goto out;
	hv_txn_set_hook(a->txn, before_write, a);
	rc = open_files(a, err);
out:
	if (rc) {
		a->unknown = true; /* nothing of ours to write at close */
		pd_act_close(a);
		return rc;
	}
	*out = a;
	return 0;
}

/* ---- recovery ---- */

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A previous run's held knobs are adopted into our transaction (first
 * original wins), then restored like a normal stop. */

/* The held set from state.json: 1 when read, 0 when there is no file,
 * <0 when it exists but cannot be read. */
static int prev_from_state(pd_act *a, hv_err *err)
{
	char *txt = NULL;
	cJSON *st, *h;
	int rc = hv_file_read(a->state, 4u << 20, &txt, NULL, err);

	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	st = cJSON_Parse(txt);
	free(txt);
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(st, "held"))) {
		cJSON_Delete(st);
		return hv_err_set(err, EIO, "%s is torn or not hv-powerd's",
		                  a->state);
	}
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(st, "held"))
	{
		const char *k = jstr(h, "knob"), *o = jstr(h, "orig");
		const char *c = jstr(h, "cur"), *pol = jstr(h, "policy");
		if (k && o)
			hv_txn_adopt(a->txn, k, o, c ? c : "", pol ? pol : "");
	}
	cJSON_Delete(st);
	return 1;
}

/* Replay one journal record into the held set. */
static void replay(hv_txn *t, const cJSON *r)
{
	const char *e = jstr(r, "event"), *k = jstr(r, "knob");
	const char *o = jstr(r, "orig"), *nw = jstr(r, "new");

	if (!e || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "dry_run")))
		return;
	if (k && hv_knob_one_way(k))
		return; /* one way (a page soft-offline): nothing to restore */
	if (!strcmp(e, "clean"))
		hv_txn_commit(t); /* nothing held */
	else if ((!strcmp(e, "set") || !strcmp(e, "held")) && k && o)
		hv_txn_adopt(t, k, o, nw ? nw : "", "");
	else if ((!strcmp(e, "released") || !strcmp(e, "restored")) && k)
		hv_txn_forget(t, k);
}

/* The held set from the journal since the last clean stop: 1 when it has
 * records, 0 when it has none, <0 when a record cannot be read. */
static int prev_from_journal(pd_act *a, hv_err *err)
{
	char *txt = NULL, *line, *save = NULL;
	unsigned no = 0, recs = 0;
	int rc = hv_file_read(a->journal_path, 64u << 20, &txt, NULL, err);

	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	for (line = strtok_r(txt, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		cJSON *r = cJSON_Parse(line);
		no++;
		if (!r) {
			rc = hv_err_set(err, EIO, "%s: line %u is not a record",
			                a->journal_path, no);
			break;
		}
		replay(a->txn, r);
		recs++;
		cJSON_Delete(r);
	}
	free(txt);
	return rc ? rc : recs > 0;
}

/* What a previous run left held: state.json, else the journal; when
 * neither can say (one damaged, the other damaged or empty), refuse. */
static int load_previous(pd_act *a, hv_err *err)
{
	hv_err se = {0}, je = {0};
	int rs = prev_from_state(a, &se), rj;

	if (rs > 0)
		return 0;
	hv_txn_commit(a->txn);
	rj = prev_from_journal(a, &je);
	if (rs == 0 && rj >= 0)
		return 0; /* no state file: the journal says all (or none) */
	if (rj > 0) {
		pd_log(PD_LOG_WARN, "%s: rebuilding held knobs from %s", se.msg,
		       a->journal_path);
		return 0;
	}
	return hv_err_set(err, EIO,
	                  "%s, and %s: a previous run may have left knobs "
	                  "changed and which ones cannot be known. Check the "
	                  "host, then remove %s to start",
	                  rs < 0 ? se.msg : "no state file",
	                  rj < 0 ? je.msg : "the journal has no record",
	                  a->state);
}

int pd_act_recover(pd_act *a, unsigned *failed, hv_err *err)
{
	int rc;

	*failed = 0;
	if (a->dry_run)
		return 0;
	if ((rc = load_previous(a, err))) {
		hv_txn_commit(a->txn); /* nothing of it is ours to undo */
		a->unknown = true;     /* leave both files as they are */
		return rc;
	}
	if (hv_journal_cut(a->j))
		journal(a, record("note", "powerd", NULL, NULL, NULL, NULL,
		                  "cut a torn last record of the journal"));
	sync_held(a);
	if (!a->nheld) {
		journal(a, record("clean", NULL, NULL, NULL, NULL, NULL,
		                  "nothing held at start"));
		return 0;
	}
	pd_log(PD_LOG_WARN,
	       "previous hv-powerd left %zu knob(s) changed: restoring them",
	       a->nheld);
	/* Undone newest first, like a normal stop. */
	size_t before = a->nheld;
	*failed = pd_act_restore_all(a, "recovery after an unclean stop");
	return (int)(before - *failed);
}

/* ---- changes ---- */

static bool release_one(pd_act *a, const pd_decision *d, pd_mem *m,
                        const pd_config *c, double t)
{
	long i = hv_txn_find(a->txn, d->knob);
	char cur[PD_VAL_LEN], orig[PD_VAL_LEN];
	const hv_change *ch;
	hv_err e = {0};
	size_t n;
	int rc;

	if (i < 0)
		return false;
	ch = hv_txn_changes(a->txn, &n);
	snprintf(cur, sizeof(cur), "%s", ch[i].new_);
	snprintf(orig, sizeof(orig), "%s", ch[i].old);
	a->pend_event = "release";
	a->pend_reason = d->reason;
	rc = hv_txn_release(a->txn, d->knob, &e);
	a->pend_event = a->pend_reason = NULL;
	if (rc && !strcmp(e.msg, "not journalled"))
		return false; /* not journalled: not done */
	if (rc) {
		journal(a, record("failed", d->policy, d->knob, cur, orig, orig,
		                  e.msg));
		pd_log(PD_LOG_ERR, "release %s: %s", d->knob, e.msg);
		pd_mem_rejected(m, c, d->knob, t);
		return false;
	}
	sync_held(a);
	if (a->dry_run)
		return true;
	pd_log(PD_LOG_INFO, "%s: %s %s -> %s (%s)", d->policy, d->knob, cur,
	       orig, d->reason);
	pd_act_write_state(a, m, NULL);
	return true;
}

static bool set_one(pd_act *a, const pd_decision *d, pd_mem *m,
                    const pd_config *c, double t)
{
	long i = hv_txn_find(a->txn, d->knob);
	char cur[PD_VAL_LEN] = "", orig[PD_VAL_LEN] = "";
	const hv_change *ch;
	hv_err e = {0};
	size_t n;
	int rc;

	if (i >= 0) {
		ch = hv_txn_changes(a->txn, &n);
		snprintf(cur, sizeof(cur), "%s", ch[i].new_);
	}
	a->pend_prev = cur;
	a->pend_reason = d->reason;
	a->pend_first = i < 0;
	a->pend_mem = m;
	a->hooked = false;
	rc = hv_txn_set(a->txn, d->knob, d->value, d->policy, &e);
	a->pend_prev = a->pend_reason = NULL;
	a->pend_mem = NULL;
	if (rc == 1)
		return false;   /* already so: nothing to hold */
	if (rc && !a->hooked) { /* the value could not be read */
		journal(a, record("failed", d->policy, d->knob, NULL, d->value,
		                  NULL, e.msg));
		pd_log(PD_LOG_ERR, "read %s: %s", d->knob, e.msg);
		pd_mem_rejected(m, c, d->knob, t);
		return false;
	}
	if (rc && !strcmp(e.msg, "not on disk"))
		return false; /* not on disk: the host was not changed */
	ch = hv_txn_changes(a->txn, &n);
	if (rc) {
		if (i >= 0)
			snprintf(orig, sizeof(orig), "%s", ch[i].old);
		journal(a, record("failed", d->policy, d->knob, cur, d->value,
		                  i >= 0 ? orig : NULL, e.msg));
		pd_log(PD_LOG_ERR, "set %s = %s: %s", d->knob, d->value, e.msg);
		if (i < 0)
			pd_act_write_state(a, m, NULL);
		pd_mem_rejected(m, c, d->knob, t);
		return false;
	}
	i = hv_txn_find(a->txn, d->knob);
	snprintf(orig, sizeof(orig), "%s", ch[i].old);
	if (!cur[0])
		snprintf(cur, sizeof(cur), "%s", orig);
	sync_held(a);
	pd_log(strstr(d->reason, "ALERT") ? PD_LOG_ALERT : PD_LOG_INFO,
	       "%s%s: %s %s -> %s (%s)", a->dry_run ? "dry-run " : "",
	       d->policy, d->knob, cur, d->value, d->reason);
	return true;
}

/* A change that cannot be undone (a page soft-offline): journalled before
 * it is made, like any set, but never held, so no release, stop or crash
 * recovery ever tries to "restore" it. Returns 1 when applied. */
static int apply_one_way(pd_act *a, const pd_decision *d, pd_mem *m,
                         const pd_config *c, double t)
{
	char cur[PD_VAL_LEN] = "";
	hv_err e = {0};
	cJSON *r;

	if (a->ops.get(a->ops.ctx, d->knob, cur, sizeof(cur), &e)) {
		journal(a, record("failed", d->policy, d->knob, NULL, d->value,
		                  NULL, e.msg));
		pd_log(PD_LOG_ERR, "read %s: %s", d->knob, e.msg);
		pd_mem_rejected(m, c, d->knob, t);
		return 0;
	}
	if (!strcmp(cur, d->value))
		return 0; /* already offline */
	r = record("set", d->policy, d->knob, cur, d->value, NULL, d->reason);
	if (r) {
		cJSON_AddBoolToObject(r, "one_way", 1);
		cJSON_AddStringToObject(r, "undo",
		                        "none: a soft-offlined page cannot be "
		                        "brought back online");
	}
	if (journal(a, r))
		return 0; /* not on disk: must not change the host */
	if (!a->dry_run && a->ops.set(a->ops.ctx, d->knob, d->value, &e)) {
		journal(a, record("failed", d->policy, d->knob, cur, d->value,
		                  NULL, e.msg));
		pd_log(PD_LOG_ERR, "set %s = %s: %s", d->knob, d->value, e.msg);
		pd_mem_rejected(m, c, d->knob, t);
		return 0;
	}
	pd_log(PD_LOG_ALERT, "%s%s: %s %s -> %s (%s)%s",
	       a->dry_run ? "dry-run " : "", d->policy, d->knob, cur, d->value,
	       d->reason,
	       a->dry_run ? " [would be permanent: cannot be undone]" : "");
	return 1;
}

int pd_act_apply(pd_act *a, const pd_out *o, pd_mem *m, const pd_config *c,
                 double t)
{
	int applied = 0;

	for (size_t i = 0; i < o->n; i++) {
		const pd_decision *d = &o->d[i];
		if (d->release)
			applied += release_one(a, d, m, c, t);
		else if (a->blocked[0]) /* blocked: no new changes */
			continue;
		else if (hv_knob_one_way(d->knob))
			applied += apply_one_way(a, d, m, c, t);
		else
			applied += set_one(a, d, m, c, t);
	}
	return applied;
}

unsigned pd_act_restore_all(pd_act *a, const char *why)
{
	hv_err e = {0};
	const hv_change *c;
	unsigned bad;
	size_t n;

	if (!a || a->unknown)
		return 0;
	a->pend_event = "restore";
	a->pend_reason = why;
	bad = (unsigned)hv_txn_rollback(a->txn, &e); /* newest first */
	a->pend_event = a->pend_reason = NULL;
	sync_held(a);
	/* Those that failed stay held (and in the state file). */
	c = hv_txn_changes(a->txn, &n);
	for (size_t i = 0; i < n; i++)
		journal(a, record("failed", hv_txn_tag(a->txn, i), c[i].knob,
		                  c[i].new_, c[i].old, c[i].old, e.msg));
	if (bad)
		pd_log(PD_LOG_ERR, "restore: %s", e.msg);
	if (!a->dry_run)
		pd_act_write_state(a, NULL, NULL);
	if (!bad)
		journal(a, record("clean", NULL, NULL, NULL, NULL, NULL, why));
	return bad;
}

void pd_act_notes(pd_act *a, const pd_out *o)
{
	for (size_t i = 0; i < o->nnote; i++) {
		const pd_note *n = &o->note[i];
		int lvl = !strcmp(n->level, "alert")  ? PD_LOG_ALERT
		          : !strcmp(n->level, "warn") ? PD_LOG_WARN
		                                      : PD_LOG_INFO;
		pd_log(lvl, "%s: %s", n->policy, n->msg);
		if (a->blocked[0]) /* keep the room for change records */
			continue;
		cJSON *r =
		    record("note", n->policy, NULL, NULL, NULL, NULL, n->msg);
		if (r)
			cJSON_AddStringToObject(r, "level", n->level);
		journal(a, r);
	}
}

void pd_act_energy(pd_act *a, const pd_view *v)
{
	cJSON *r = record("energy", "energy", NULL, NULL, NULL, NULL, NULL);
	cJSON *doms;

	if (!r || a->blocked[0]) { /* keep the room for change records */
		cJSON_Delete(r);
		return;
	}
	cJSON_AddItemToObject(r, "pkg_watts", num_or_null(v->pkg_watts));
	doms = cJSON_AddArrayToObject(r, "domains");
	for (unsigned i = 0; doms && i < v->ndom; i++) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "name", v->dom[i].name);
		cJSON_AddItemToObject(d, "watts", num_or_null(v->dom[i].watts));
		cJSON_AddItemToObject(d, "energy_j",
		                      num_or_null(v->dom[i].energy_j));
		cJSON_AddItemToArray(doms, d);
	}
	journal(a, r);
}

void pd_act_event(pd_act *a, const char *event, const char *msg)
{
	journal(a, record(event, NULL, NULL, NULL, NULL, NULL, msg));
}

void pd_act_close(pd_act *a)
{
	if (!a)
		return;
	if (a->nheld)
		pd_act_restore_all(a, "stop");
	if (!a->unknown && !a->dry_run)
		(void)hv_file_remove(a->reserve, NULL);
	hv_journal_close(a->j);
	if (a->lockfd >= 0)
		close(a->lockfd);
	hv_txn_free(a->txn);
	free(a->held);
	free(a);
}

const pd_hold *pd_act_held(const pd_act *a, size_t *n)
{
	*n = a->nheld;
	return a->held;
}

const char *pd_act_blocked(const pd_act *a)
{
	return a->blocked[0] ? a->blocked : NULL;
}

const char *pd_act_journal_path(const pd_act *a)
{
	return a->journal_path;
}
const char *pd_act_state_path(const pd_act *a)
{
	return a->state;
}
