/* SPDX-License-Identifier: MIT */
#include "pd_noisy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/durable.h"
#include "hv/resctrl.h"
#include "hv/rundir.h"

#define NZ_MAX 256

typedef struct nz_dom {
	uint64_t key;
	uint32_t id;
	char *undo; /* saved undo text of its assignment */
} nz_dom;

struct pd_noisy {
	/* A copy: a reload (SIGHUP) does not change a class already made. */
	pd_config copy;
	const pd_config *cfg;
	pd_act *act;
	bool dry;
	hv_resctrl *rc;
	rdt_policy *pol;
	char *class_undo; /* undo text of the class creation, NULL = none */
	nz_dom dom[NZ_MAX];
	size_t ndom;
	char undo_path[PATH_MAX], state_path[PATH_MAX];
};

/* libhv's durable writers (hv/durable.h): "" removes the file. */
static int put_file(const char *path, const char *text)
{
	size_t n = strlen(text);

	return n ? hv_file_replace(path, text, n, 0644, NULL)
	         : hv_file_remove(path, NULL);
}

static char *get_file(const char *path)
{
	char *buf = NULL;

	return hv_file_read(path, 1u << 22, &buf, NULL, NULL) ? NULL : buf;
}

/* The whole undo log: class creation first, then each domain (applied
 * newest first on recovery). */
static int save_undo(pd_noisy *z)
{
	size_t len = 1, off = 0;
	char *all;
	int rc;

	len += z->class_undo ? strlen(z->class_undo) : 0;
	for (size_t i = 0; i < z->ndom; i++)
		len += strlen(z->dom[i].undo);
	all = calloc(len, 1);
	if (!all)
		return -ENOMEM;
	for (size_t i = 0; i <= z->ndom; i++) {
		const char *t = i ? z->dom[i - 1].undo : z->class_undo;
		size_t n = t ? strlen(t) : 0;
		memcpy(all + off, t ? t : "", n);
		off += n;
	}
	all[off] = '\0';
	rc = put_file(z->undo_path, all);
	free(all);
	return rc;
}

static void note(pd_noisy *z, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(pd_noisy *z, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pd_act_event(z->act, "noisy", msg);
}

/* Put back what a previous run left: its undo log, then its intent (a
 * class created just before a crash, with no undo saved yet). */
static int recover(pd_noisy *z, hv_err *err)
{
	char *text = get_file(z->undo_path), *st = get_file(z->state_path);
	hv_rc_undo *u = NULL;
	int rc = 0;

	if (text && *text) {
		pd_act_event(z->act, "noisy",
		             "recovering noisy.undo of a "
		             "previous run");
		if ((rc = hv_rc_undo_load(text, &u, err)) ||
		    (rc = hv_rc_undo_apply(z->rc, u, err)))
			goto out;
	}
	if (st && !strncmp(st, "class ", 6)) {
		char name[HV_RC_NAME_LEN];
		char names[64][HV_RC_NAME_LEN];
		size_t n = 0;
		snprintf(name, sizeof(name), "%s", st + 6);
		name[strcspn(name, "\n")] = '\0';
		if (!hv_rc_classes(z->rc, names, 64, &n, err))
			for (size_t i = 0; i < n; i++)
				if (!strcmp(names[i], name) &&
				    (rc = hv_rc_class_remove(z->rc, name, NULL,
				                             err)))
					goto out;
		/* Killed mid-assignment: the class's removal put the tasks in
		 * the root; the domain's monitoring group went with the
		 * class, so make it again there (best effort: the process
		 * may be gone, or the group may exist). */
		const char *as = strstr(st, "\nassign ");
		if (as) {
			char *end;
			unsigned long id = strtoul(as + 8, &end, 10);
			if (end != as + 8 && id && id <= INT32_MAX)
				(void)hv_rc_mon_start(z->rc, "", (uint32_t)id,
				                      (pid_t)id, NULL);
		}
	}
	put_file(z->undo_path, "");
	put_file(z->state_path, "");
out:
	hv_rc_undo_free(u);
	free(text);
	free(st);
	return rc;
}

static void set_paths(pd_noisy *z, const hv_env *env)
{
	hv_run_path(env->run, HV_RUN_NOISY_UNDO, z->undo_path,
	            sizeof(z->undo_path));
	hv_run_path(env->run, HV_RUN_NOISY_STATE, z->state_path,
	            sizeof(z->state_path));
}

int pd_noisy_recover(const hv_env *env, pd_act *act, hv_err *err)
{
	pd_noisy *z = calloc(1, sizeof(*z));
	int rc = 0;

	if (!z)
		return hv_err_set(err, ENOMEM, "out of memory");
	z->act = act;
	set_paths(z, env);
	/* Nothing left behind: resctrl need not even be mounted. */
	if (access(z->undo_path, F_OK) && access(z->state_path, F_OK))
		goto out;
	if ((rc = hv_rc_open(env, &z->rc, err)))
		goto out;
	rc = recover(z, err);
out:
	hv_rc_close(z->rc);
	free(z);
	return rc;
}

void pd_noisy_policy_cfg(const pd_config *c, rdt_policy_cfg *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->llc_max_bytes = c->noisy.llc_bytes;
	pc->mbm_max_Bps = c->noisy.mbm_Bps;
	pc->hold_s = c->noisy.hold_s;
	pc->calm_s = c->noisy.calm_s;
	pc->calm_ratio = c->noisy.calm_ratio;
	pc->gone_s = c->noisy.gone_s;
	pc->max_restricted = c->noisy.max_restricted;
	snprintf(pc->restricted_class, sizeof(pc->restricted_class), "%s",
	         c->noisy.class_name);
}

int pd_noisy_open(const hv_env *env, const pd_config *c, pd_act *act, bool dry,
                  pd_noisy **out, hv_err *err)
{
	pd_noisy *z = calloc(1, sizeof(*z));
	rdt_policy_cfg pc;
	int rc = 0;

	*out = NULL;
	if (!z)
		return hv_err_set(err, ENOMEM, "out of memory");
	z->copy = *c;
	z->cfg = &z->copy;
	z->act = act;
	z->dry = dry;
	set_paths(z, env);
	pd_noisy_policy_cfg(c, &pc);
	z->pol = rdt_policy_new(&pc);
	if (!z->pol) {
		rc = hv_err_set(err, EINVAL, "[noisy]: bad policy settings");
		goto out;
	}
	if ((rc = hv_rc_open(env, &z->rc, err)))
		goto out;
out:
	if (rc)
		pd_noisy_free(z);
	else
		*out = z;
	return rc;
}

/* The restricted class, created once (validated by libhv before any
 * write). */
static int make_class(pd_noisy *z, hv_err *err)
{
	char line[256] = "", *t = NULL;
	const hv_rc_info *info = hv_rc_info_get(z->rc);
	hv_rc_schemata want;
	hv_rc_undo *u = NULL;
	int rc;

	if (z->class_undo)
		return 0;
	/* With CDP the mask limits code and data alike. */
	for (int r = 0; r < (info->cdp ? 2 : 1) && z->cfg->noisy.l3_mask[0];
	     r++) {
		const char *res = !info->cdp ? "L3" : r ? "L3DATA" : "L3CODE";
		size_t o = strlen(line);
		snprintf(line + o, sizeof(line) - o, "%s%s:", o ? "\n" : "",
		         res);
		for (uint32_t i = 0; i < info->nr_l3; i++) {
			o = strlen(line);
			snprintf(line + o, sizeof(line) - o, "%s%u=%s",
			         i ? ";" : "", info->l3_id[i],
			         z->cfg->noisy.l3_mask);
		}
	}
	if (z->cfg->noisy.mb_percent && info->mb.present) {
		size_t o = strlen(line);
		snprintf(line + o, sizeof(line) - o, "%sMB:", o ? "\n" : "");
		for (uint32_t i = 0; i < info->nr_l3; i++) {
			o = strlen(line);
			snprintf(line + o, sizeof(line) - o, "%s%u=%u",
			         i ? ";" : "", info->l3_id[i],
			         z->cfg->noisy.mb_percent);
		}
	}
	if ((rc = hv_rc_schemata_parse(line, &want, err)) ||
	    (rc = hv_rc_validate(info, &want, err)))
		goto out;
	/* Intent first: a crash between mkdir and the save below still gets
	 * the class removed on restart. */
	{
		char st[HV_RC_NAME_LEN + 8];
		snprintf(st, sizeof(st), "class %s\n",
		         z->cfg->noisy.class_name);
		if ((rc = put_file(z->state_path, st))) {
			hv_err_set(err, -rc, "%s: %s", z->state_path,
			           strerror(-rc));
			goto out;
		}
	}
	note(z, "create class %s", z->cfg->noisy.class_name);
	if (!(u = hv_rc_undo_new())) {
		rc = hv_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = hv_rc_class_set(z->rc, z->cfg->noisy.class_name, &want, u,
	                          err)) ||
	    (rc = hv_rc_undo_save(u, &t, err)))
		goto out;
	z->class_undo = t;
	t = NULL;
	rc = save_undo(z);
	if (rc)
		hv_err_set(err, -rc, "%s: %s", z->undo_path, strerror(-rc));
out:
	free(t);
	hv_rc_undo_free(u);
	return rc;
}

static nz_dom *find(pd_noisy *z, uint64_t key)
{
	for (size_t i = 0; i < z->ndom; i++)
		if (z->dom[i].key == key)
			return &z->dom[i];
	return NULL;
}

static int restrict_dom(pd_noisy *z, const rdt_policy_action *a, hv_err *err)
{
	hv_rc_undo *u = NULL;
	char *t = NULL;
	int rc;

	if (z->ndom == NZ_MAX)
		return hv_err_set(err, ENOSPC, "too many restricted domains");
	if ((rc = make_class(z, err)))
		goto out;
	{
		char st[HV_RC_NAME_LEN + 40];
		snprintf(st, sizeof(st), "class %s\nassign %u\n",
		         z->cfg->noisy.class_name, a->id);
		if ((rc = put_file(z->state_path, st))) {
			hv_err_set(err, -rc, "%s: %s", z->state_path,
			           strerror(-rc));
			goto out;
		}
	}
	if (!(u = hv_rc_undo_new())) {
		rc = hv_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = hv_rc_assign_pid(z->rc, z->cfg->noisy.class_name, a->id,
	                           (pid_t)a->id, u, err)) ||
	    (rc = hv_rc_undo_save(u, &t, err))) {
		hv_rc_undo_apply(z->rc, u, NULL);
		goto out;
	}
	z->dom[z->ndom++] = (nz_dom){a->key, a->id, t};
	t = NULL;
	rc = save_undo(z);
out:
	free(t);
	hv_rc_undo_free(u);
	return rc;
}

static int release_dom(pd_noisy *z, nz_dom *d, hv_err *err)
{
	hv_rc_undo *u = NULL;
	int rc;

	if ((rc = hv_rc_undo_load(d->undo, &u, err)) ||
	    (rc = hv_rc_undo_apply(z->rc, u, err)))
		goto out;
	free(d->undo);
	*d = z->dom[--z->ndom];
	rc = save_undo(z);
out:
	hv_rc_undo_free(u);
	return rc;
}

void pd_noisy_step(pd_noisy *z, const hv_snap *s, double t)
{
	rdt_policy_in in[NZ_MAX];
	rdt_policy_action act[NZ_MAX];
	size_t n, k;

	if (!z || !s)
		return;
	n = rdt_policy_inputs(s, in, NZ_MAX);
	k = rdt_policy_step(z->pol, t, in, n, act, NZ_MAX);
	for (size_t i = 0; i < k; i++) {
		hv_err e = {0};
		nz_dom *d = find(z, act[i].key);
		int rc = 0;
		const char *what =
		    act[i].act == RDT_ACT_RESTRICT ? "restrict" : "release";
		/* Journal first (fsynced), then act. */
		note(z, "%s domain %u: %s", what, act[i].id, act[i].reason);
		if (z->dry)
			continue;
		/* The run directory cannot be written (disk full): no new
		 * restriction, as for knobs; releases still go. */
		if (act[i].act == RDT_ACT_RESTRICT && pd_act_blocked(z->act)) {
			rdt_policy_undo(z->pol, &act[i]);
			continue;
		}
		if (act[i].act == RDT_ACT_RESTRICT && !d)
			rc = restrict_dom(z, &act[i], &e);
		else if (act[i].act == RDT_ACT_RELEASE && d)
			rc = release_dom(z, d, &e);
		if (rc) {
			rdt_policy_undo(z->pol, &act[i]);
			note(z, "%s domain %u failed: %s", what, act[i].id,
			     e.msg);
		}
	}
}

int pd_noisy_restore(pd_noisy *z, const char *why)
{
	hv_err e = {0};
	int rc = 0, r;

	if (!z || z->dry || !z->rc)
		return 0;
	while (z->ndom) {
		nz_dom *d = &z->dom[z->ndom - 1];
		note(z, "release domain %u (%s)", d->id, why);
		if ((r = release_dom(z, d, &e))) {
			note(z, "release domain %u failed: %s", d->id, e.msg);
			rc = rc ? rc : r;
			free(d->undo);
			z->ndom--;
		}
	}
	if (z->class_undo) {
		hv_rc_undo *u = NULL;
		note(z, "remove class %s (%s)", z->cfg->noisy.class_name, why);
		if ((r = hv_rc_undo_load(z->class_undo, &u, &e)) ||
		    (r = hv_rc_undo_apply(z->rc, u, &e))) {
			note(z, "remove class failed: %s", e.msg);
			rc = rc ? rc : r;
		}
		hv_rc_undo_free(u);
		free(z->class_undo);
		z->class_undo = NULL;
	}
	/* A failed restore keeps the files for the next start. */
	if (!rc) {
		put_file(z->undo_path, "");
		put_file(z->state_path, "");
	}
	return rc;
}

void pd_noisy_free(pd_noisy *z)
{
	if (!z)
		return;
	pd_noisy_restore(z, "stop");
	for (size_t i = 0; i < z->ndom; i++)
		free(z->dom[i].undo);
	free(z->class_undo);
	rdt_policy_free(z->pol);
	hv_rc_close(z->rc);
	free(z);
}
