/* SPDX-License-Identifier: MIT */
#include "pd_act.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hv/backend.h"
#include "pd_log.h"

struct pd_act {
	pd_knob_ops ops;
	bool dry_run;
	char rundir[PATH_MAX];
	char journal[PATH_MAX];
	char state[PATH_MAX];
	char config[PATH_MAX];
	int jfd, lockfd;
	size_t journal_max;
	size_t n, cap;
	pd_hold *held; /* in the order they were first set (undo is LIFO) */
	unsigned long long seq;
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

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Append one record and fsync it: the record must be on disk before the
 * change it announces is made. */
static int fsync_dir(const char *dir);

/* Stamp and append one record, fsynced. */
static int write_rec(pd_act *a, int fd, cJSON *rec)
{
	char ts[40];
	char *txt = NULL;
	size_t n;
	int rc = 0;

	iso_now(ts, sizeof(ts));
	cJSON_AddStringToObject(rec, "time", ts);
	cJSON_AddNumberToObject(rec, "mono", mono_now());
	cJSON_AddNumberToObject(rec, "pid", (double)getpid());
	cJSON_AddNumberToObject(rec, "seq", (double)++a->seq);
	if (a->dry_run)
		cJSON_AddBoolToObject(rec, "dry_run", 1);
	txt = cJSON_PrintUnformatted(rec);
	if (!txt)
		return -ENOMEM;
	n = strlen(txt);
	txt[n] = '\n'; /* replaces the NUL: written with its length */
	rc = write_all(fd, txt, n + 1);
	if (!rc && fsync(fd))
		rc = -errno;
	free(txt);
	return rc;
}

/* Keep the journal bounded (it lives in RAM under /run): the full file
 * becomes journal.jsonl.1 and the new one starts with a "held" record per
 * held knob, so a replay of the new file alone still knows every original. */
static int rotate(pd_act *a)
{
	char old[PATH_MAX + 8];
	int fd, rc = 0;

	snprintf(old, sizeof(old), "%s.1", a->journal);
	if (rename(a->journal, old))
		return -errno;
	fd = open(a->journal, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < a->n && !rc; i++) {
		cJSON *r = cJSON_CreateObject();
		if (!r) {
			rc = -ENOMEM;
			break;
		}
		cJSON_AddStringToObject(r, "event", "held");
		cJSON_AddStringToObject(r, "policy", a->held[i].policy);
		cJSON_AddStringToObject(r, "knob", a->held[i].knob);
		cJSON_AddStringToObject(r, "new", a->held[i].cur);
		cJSON_AddStringToObject(r, "orig", a->held[i].orig);
		cJSON_AddStringToObject(r, "reason", "journal rotated");
		rc = write_rec(a, fd, r);
		cJSON_Delete(r);
	}
	if (!rc)
		rc = fsync_dir(a->rundir);
	close(a->jfd);
	a->jfd = fd;
	return rc;
}

/* Append one record and fsync it: the record must be on disk before the
 * change it announces is made. */
static int journal(pd_act *a, cJSON *rec)
{
	struct stat st;
	int rc = 0;

	if (!rec)
		return -ENOMEM;
	if (a->jfd < 0) {
		rc = -EBADF;
		goto out;
	}
	if (!a->dry_run && !fstat(a->jfd, &st) &&
	    (size_t)st.st_size > a->journal_max && (rc = rotate(a)))
		goto out;
	rc = write_rec(a, a->jfd, rec);
out:
	if (rc)
		pd_log(PD_LOG_ERR, "journal %s: %s", a->journal, strerror(-rc));
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

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

/* Atomic replace: tmp file, fsync, rename, fsync the directory. */
static int write_atomic(const char *path, const char *dir, const char *txt)
{
	char tmp[PATH_MAX + 8];
	int fd = -1, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if ((rc = write_all(fd, txt, strlen(txt))))
		goto out;
	if (fsync(fd)) {
		rc = -errno;
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path)) {
		rc = -errno;
		goto out;
	}
	rc = fsync_dir(dir);
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp);
	return rc;
}

static cJSON *held_json(const pd_act *a)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; arr && i < a->n; i++) {
		cJSON *h = cJSON_CreateObject();
		if (!h)
			break;
		cJSON_AddStringToObject(h, "knob", a->held[i].knob);
		cJSON_AddStringToObject(h, "orig", a->held[i].orig);
		cJSON_AddStringToObject(h, "cur", a->held[i].cur);
		cJSON_AddStringToObject(h, "policy", a->held[i].policy);
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

int pd_act_write_state(pd_act *a, const pd_mem *m, const pd_view *v)
{
	cJSON *st = cJSON_CreateObject();
	char ts[40], *txt = NULL;
	int rc = 0;

	if (!st)
		return -ENOMEM;
	iso_now(ts, sizeof(ts));
	cJSON_AddNumberToObject(st, "version", 1);
	cJSON_AddNumberToObject(st, "pid", (double)getpid());
	cJSON_AddStringToObject(st, "updated", ts);
	cJSON_AddBoolToObject(st, "dry_run", a->dry_run);
	cJSON_AddStringToObject(st, "config", a->config);
	cJSON_AddStringToObject(st, "journal", a->journal);
	cJSON_AddItemToObject(st, "held", held_json(a));
	if (m) {
		unsigned cpus[1024], n;
		cJSON *arr = cJSON_CreateArray();
		n = pd_mem_parked(m, cpus, 1024);
		for (unsigned i = 0; i < n && i < 1024; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateNumber(cpus[i]));
		cJSON_AddItemToObject(st, "parked", arr);
		arr = cJSON_CreateArray();
		n = pd_mem_hwerr_offlined(m, cpus, 1024);
		for (unsigned i = 0; i < n && i < 1024; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateNumber(cpus[i]));
		cJSON_AddItemToObject(st, "hwerr_offlined", arr);
	}
	if (v)
		cJSON_AddItemToObject(st, "ras", ras_json(v));
	if (v) {
		cJSON *doms = cJSON_CreateArray();
		cJSON_AddItemToObject(st, "demand_cpus",
		                      num_or_null(v->demand_cpus));
		cJSON_AddItemToObject(st, "pkg_watts",
		                      num_or_null(v->pkg_watts));
		for (unsigned i = 0; i < v->ndom; i++) {
			cJSON *d = cJSON_CreateObject();
			cJSON_AddStringToObject(d, "name", v->dom[i].name);
			cJSON_AddItemToObject(d, "cpu_pct",
			                      num_or_null(v->dom[i].cpu_pct));
			cJSON_AddItemToObject(d, "watts",
			                      num_or_null(v->dom[i].watts));
			cJSON_AddItemToObject(d, "energy_j",
			                      num_or_null(v->dom[i].energy_j));
			cJSON_AddItemToArray(doms, d);
		}
		cJSON_AddItemToObject(st, "domains", doms);
	}
	txt = cJSON_Print(st);
	if (!txt) {
		rc = -ENOMEM;
		goto out;
	}
	rc = write_atomic(a->state, a->rundir, txt);
	if (rc)
		pd_log(PD_LOG_ERR, "state %s: %s", a->state, strerror(-rc));
out:
	free(txt);
	cJSON_Delete(st);
	return rc;
}

static pd_hold *find(pd_act *a, const char *knob)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->held[i].knob, knob))
			return &a->held[i];
	return NULL;
}

static int push_held(pd_act *a, const char *knob, const char *orig,
                     const char *cur, const char *policy)
{
	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 32;
		pd_hold *p = realloc(a->held, nc * sizeof(*p));
		if (!p)
			return -ENOMEM;
		a->held = p;
		a->cap = nc;
	}
	pd_hold *h = &a->held[a->n++];
	memset(h, 0, sizeof(*h));
	snprintf(h->knob, sizeof(h->knob), "%s", knob);
	snprintf(h->orig, sizeof(h->orig), "%s", orig);
	snprintf(h->cur, sizeof(h->cur), "%s", cur);
	snprintf(h->policy, sizeof(h->policy), "%s", policy);
	return 0;
}

static void drop_held(pd_act *a, pd_hold *h)
{
	size_t i;

	if (!h || !a->held || !a->n)
		return;
	i = (size_t)(h - a->held);
	memmove(h, h + 1, (a->n - i - 1) * sizeof(*h));
	a->n--;
}

int pd_act_open(const pd_act_opts *o, const pd_knob_ops *ops, pd_act **out,
                hv_err *err)
{
	pd_act *a = calloc(1, sizeof(*a));
	char lock[PATH_MAX + 16];
	int rc = 0;

	*out = NULL;
	if (!a)
		return hv_err_set(err, ENOMEM, "out of memory");
	a->jfd = a->lockfd = -1;
	a->ops = *ops;
	a->dry_run = o->dry_run;
	a->journal_max = o->journal_max ? o->journal_max : 8u << 20;
	snprintf(a->rundir, sizeof(a->rundir), "%s", o->rundir);
	snprintf(a->config, sizeof(a->config), "%s",
	         o->config_path ? o->config_path : "");
	if (mkdir(a->rundir, 0755) && errno != EEXIST) {
		rc = hv_err_set(err, errno, "%s: %s", a->rundir,
		                strerror(errno));
		goto out;
	}
	if (snprintf(a->journal, sizeof(a->journal), "%s/journal.jsonl",
	             a->rundir) >= (int)sizeof(a->journal) ||
	    snprintf(a->state, sizeof(a->state), "%s/%s", a->rundir,
	             a->dry_run ? "state-dryrun.json" : "state.json") >=
	        (int)sizeof(a->state)) {
		rc = hv_err_set(err, ENAMETOOLONG, "%s: path too long",
		                a->rundir);
		goto out;
	}
	if (!a->dry_run) {
		snprintf(lock, sizeof(lock), "%s/powerd.lock", a->rundir);
		a->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (a->lockfd < 0) {
			rc = hv_err_set(err, errno, "%s: %s", lock,
			                strerror(errno));
			goto out;
		}
		if (flock(a->lockfd, LOCK_EX | LOCK_NB)) {
			rc = hv_err_set(err, EBUSY,
			                "%s: another hv-powerd holds it", lock);
			goto out;
		}
	}
	a->jfd =
	    open(a->journal, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (a->jfd < 0) {
		rc = hv_err_set(err, errno, "%s: %s", a->journal,
		                strerror(errno));
		goto out;
	}
out:
	if (rc) {
		if (a->jfd >= 0)
			close(a->jfd);
		if (a->lockfd >= 0)
			close(a->lockfd);
		free(a);
		return rc;
	}
	*out = a;
	return 0;
}

/* Read the held set a previous run left: state.json first; if that is
 * unreadable, replay the journal since the last clean stop. */
static int load_previous(pd_act *a, pd_act *prev)
{
	FILE *f = fopen(a->state, "r");
	char *buf = NULL;
	size_t cap = 4 << 20, n = 0;
	cJSON *st = NULL;
	int rc = -ENOENT;

	if (f) {
		buf = malloc(cap + 1);
		if (buf) {
			n = fread(buf, 1, cap, f);
			buf[n] = '\0';
			st = cJSON_Parse(buf);
		}
		fclose(f);
		free(buf);
		buf = NULL;
	}
	if (st) {
		cJSON *held = cJSON_GetObjectItemCaseSensitive(st, "held");
		cJSON *h;
		rc = 0;
		cJSON_ArrayForEach(h, held)
		{
			cJSON *k = cJSON_GetObjectItemCaseSensitive(h, "knob");
			cJSON *o = cJSON_GetObjectItemCaseSensitive(h, "orig");
			cJSON *c = cJSON_GetObjectItemCaseSensitive(h, "cur");
			cJSON *p =
			    cJSON_GetObjectItemCaseSensitive(h, "policy");
			if (!cJSON_IsString(k) || !cJSON_IsString(o))
				continue;
			push_held(prev, k->valuestring, o->valuestring,
			          cJSON_IsString(c) ? c->valuestring : "",
			          cJSON_IsString(p) ? p->valuestring : "");
		}
		cJSON_Delete(st);
		return rc;
	}
	if (f)
		pd_log(PD_LOG_WARN,
		       "%s is unreadable: rebuilding held knobs from %s",
		       a->state, a->journal);
	/* Journal replay. */
	f = fopen(a->journal, "r");
	if (!f)
		return rc;
	char line[4096];
	rc = 0;
	while (fgets(line, sizeof(line), f)) {
		cJSON *r = cJSON_Parse(line);
		cJSON *ev, *k, *o, *nw;
		if (!r)
			continue; /* a torn last line after a crash */
		if (cJSON_IsTrue(
		        cJSON_GetObjectItemCaseSensitive(r, "dry_run"))) {
			cJSON_Delete(r);
			continue;
		}
		ev = cJSON_GetObjectItemCaseSensitive(r, "event");
		k = cJSON_GetObjectItemCaseSensitive(r, "knob");
		o = cJSON_GetObjectItemCaseSensitive(r, "orig");
		nw = cJSON_GetObjectItemCaseSensitive(r, "new");
		if (cJSON_IsString(k) && hv_knob_one_way(k->valuestring)) {
			cJSON_Delete(r); /* one way: nothing to restore */
			continue;
		}
		if (cJSON_IsString(ev)) {
			const char *e = ev->valuestring;
			if (!strcmp(e, "clean"))
				prev->n = 0;
			else if ((!strcmp(e, "set") || !strcmp(e, "held")) &&
			         cJSON_IsString(k) && cJSON_IsString(o)) {
				pd_hold *h = find(prev, k->valuestring);
				if (!h)
					push_held(prev, k->valuestring,
					          o->valuestring,
					          cJSON_IsString(nw)
					              ? nw->valuestring
					              : "",
					          "");
			} else if ((!strcmp(e, "released") ||
			            !strcmp(e, "restored")) &&
			           cJSON_IsString(k)) {
				pd_hold *h = find(prev, k->valuestring);
				if (h)
					drop_held(prev, h);
			}
		}
		cJSON_Delete(r);
	}
	fclose(f);
	return rc;
}

int pd_act_recover(pd_act *a, unsigned *failed, hv_err *err)
{
	pd_act prev;
	int restored = 0;
	unsigned bad = 0;

	(void)err;
	*failed = 0;
	if (a->dry_run)
		return 0;
	memset(&prev, 0, sizeof(prev));
	load_previous(a, &prev);
	if (prev.n)
		pd_log(PD_LOG_WARN,
		       "previous hv-powerd left %zu knob(s) changed: "
		       "restoring them",
		       prev.n);
	/* Adopt them, then undo LIFO like a normal stop. */
	for (size_t i = 0; i < prev.n; i++)
		if (!find(a, prev.held[i].knob))
			push_held(a, prev.held[i].knob, prev.held[i].orig,
			          prev.held[i].cur, prev.held[i].policy);
	free(prev.held);
	if (!a->n) {
		journal(a, record("clean", NULL, NULL, NULL, NULL, NULL,
		                  "nothing held at start"));
		return 0;
	}
	size_t before = a->n;
	bad = pd_act_restore_all(a, "recovery after an unclean stop");
	restored = (int)(before - bad);
	*failed = bad;
	return restored;
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
		pd_hold *h = find(a, d->knob);
		char cur[PD_VAL_LEN] = "";
		hv_err e = {0};
		int rc;

		if (d->release) {
			if (!h)
				continue;
			snprintf(cur, sizeof(cur), "%s", h->cur);
			if (journal(a, record("release", d->policy, d->knob,
			                      h->cur, h->orig, h->orig,
			                      d->reason)))
				continue; /* not journalled: not done */
			if (a->dry_run) {
				drop_held(a, h);
				applied++;
				continue;
			}
			rc = a->ops.undo(a->ops.ctx, d->knob, cur, h->orig, &e);
			if (rc) {
				journal(a,
				        record("failed", d->policy, d->knob,
				               cur, h->orig, h->orig, e.msg));
				pd_log(PD_LOG_ERR, "release %s: %s", d->knob,
				       e.msg);
				pd_mem_rejected(m, c, d->knob, t);
				continue;
			}
			pd_log(PD_LOG_INFO, "%s: %s %s -> %s (%s)", d->policy,
			       d->knob, cur, h->orig, d->reason);
			journal(a, record("released", d->policy, d->knob, cur,
			                  h->orig, h->orig, NULL));
			drop_held(a, h);
			pd_act_write_state(a, m, NULL);
			applied++;
			continue;
		}
		if (hv_knob_one_way(d->knob)) {
			applied += apply_one_way(a, d, m, c, t);
			continue;
		}
		/* A set: read the value now (the original if first held). */
		if (h) {
			snprintf(cur, sizeof(cur), "%s", h->cur);
		} else if (a->ops.get(a->ops.ctx, d->knob, cur, sizeof(cur),
		                      &e)) {
			journal(a, record("failed", d->policy, d->knob, NULL,
			                  d->value, NULL, e.msg));
			pd_log(PD_LOG_ERR, "read %s: %s", d->knob, e.msg);
			pd_mem_rejected(m, c, d->knob, t);
			continue;
		}
		bool first = !h;
		if (first && !strcmp(cur, d->value))
			continue; /* already so: nothing to hold */
		if (first) {
			if (push_held(a, d->knob, cur, cur, d->policy))
				continue;
			h = &a->held[a->n - 1];
		}
		cJSON *r = record("set", d->policy, d->knob, cur, d->value,
		                  h->orig, d->reason);
		if (r)
			cJSON_AddBoolToObject(r, "first", first);
		if (journal(a, r) ||
		    (!a->dry_run && pd_act_write_state(a, m, NULL))) {
			if (first)
				drop_held(a, h);
			continue; /* not on disk: must not change the host */
		}
		if (!a->dry_run &&
		    a->ops.set(a->ops.ctx, d->knob, d->value, &e)) {
			journal(a, record("failed", d->policy, d->knob, cur,
			                  d->value, h->orig, e.msg));
			pd_log(PD_LOG_ERR, "set %s = %s: %s", d->knob, d->value,
			       e.msg);
			if (first) {
				drop_held(a, h);
				pd_act_write_state(a, m, NULL);
			}
			pd_mem_rejected(m, c, d->knob, t);
			continue;
		}
		pd_log(strstr(d->reason, "ALERT") ? PD_LOG_ALERT : PD_LOG_INFO,
		       "%s%s: %s %s -> %s (%s)", a->dry_run ? "dry-run " : "",
		       d->policy, d->knob, cur, d->value, d->reason);
		snprintf(h->cur, sizeof(h->cur), "%s", d->value);
		snprintf(h->policy, sizeof(h->policy), "%s", d->policy);
		applied++;
	}
	return applied;
}

unsigned pd_act_restore_all(pd_act *a, const char *why)
{
	unsigned bad = 0;

	if (!a)
		return 0;
	for (size_t i = a->n; i-- > 0;) {
		pd_hold *h = &a->held[i];
		hv_err e = {0};
		if (a->dry_run) {
			journal(a, record("restore", h->policy, h->knob, h->cur,
			                  h->orig, h->orig, why));
			drop_held(a, h);
			continue;
		}
		/* Journalled first: a crash in the middle just repeats it. */
		journal(a, record("restore", h->policy, h->knob, h->cur,
		                  h->orig, h->orig, why));
		if (a->ops.undo(a->ops.ctx, h->knob, h->cur, h->orig, &e)) {
			journal(a, record("failed", h->policy, h->knob, h->cur,
			                  h->orig, h->orig, e.msg));
			pd_log(PD_LOG_ERR, "restore %s = %s: %s", h->knob,
			       h->orig, e.msg);
			bad++;
			continue;
		}
		journal(a, record("restored", h->policy, h->knob, h->cur,
		                  h->orig, h->orig, NULL));
		pd_log(PD_LOG_INFO, "restored %s = %s", h->knob, h->orig);
		drop_held(a, h);
	}
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
		cJSON *r =
		    record("note", n->policy, NULL, NULL, NULL, NULL, n->msg);
		if (r)
			cJSON_AddStringToObject(r, "level", n->level);
		journal(a, r);
		pd_log(!strcmp(n->level, "alert")  ? PD_LOG_ALERT
		       : !strcmp(n->level, "warn") ? PD_LOG_WARN
		                                   : PD_LOG_INFO,
		       "%s: %s", n->policy, n->msg);
	}
}

void pd_act_energy(pd_act *a, const pd_view *v)
{
	cJSON *r = record("energy", "energy", NULL, NULL, NULL, NULL, NULL);
	cJSON *doms;

	if (!r)
		return;
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
	if (a->n)
		pd_act_restore_all(a, "stop");
	if (a->jfd >= 0)
		close(a->jfd);
	if (a->lockfd >= 0)
		close(a->lockfd);
	free(a->held);
	free(a);
}

const pd_hold *pd_act_held(const pd_act *a, size_t *n)
{
	*n = a->n;
	return a->held;
}

const char *pd_act_journal_path(const pd_act *a)
{
	return a->journal;
}
const char *pd_act_state_path(const pd_act *a)
{
	return a->state;
}
