/* SPDX-License-Identifier: MIT */
/* resctrl writes: groups, schemata, task placement, each with its inverse
 * appended to an undo log. Validation happens before the first write; a
 * step that fails rolls back the steps of the same call. */
#include "resctrl_int.h"

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

enum act_kind { ACT_RMDIR = 1, ACT_MKDIR, ACT_SCHEMATA, ACT_TASK };

typedef struct act {
	int kind;
	char group[2 * HV_RC_NAME_LEN + 16];
	char text[1024]; /* ACT_SCHEMATA: one line */
	int32_t tid;
} act;

struct hv_rc_undo {
	act *a;
	size_t n, cap;
};

hv_rc_undo *hv_rc_undo_new(void)
{
	return calloc(1, sizeof(hv_rc_undo));
}

void hv_rc_undo_free(hv_rc_undo *u)
{
	if (!u)
		return;
	free(u->a);
	free(u);
}

size_t hv_rc_undo_len(const hv_rc_undo *u)
{
	return u ? u->n : 0;
}

static int push(hv_rc_undo *u, int kind, const char *group, const char *text,
                int32_t tid, hv_err *err)
{
	act *x;

	if (u->n == u->cap) {
		size_t nc = u->cap ? u->cap * 2 : 16;
		act *na = realloc(u->a, nc * sizeof(*na));
		if (!na)
			return hv_err_set(err, ENOMEM, "out of memory");
		u->a = na;
		u->cap = nc;
	}
	x = &u->a[u->n++];
	memset(x, 0, sizeof(*x));
	x->kind = kind;
	snprintf(x->group, sizeof(x->group), "%s", group);
	if (text)
		snprintf(x->text, sizeof(x->text), "%s", text);
	x->tid = tid;
	return 0;
}

/* ---- primitive writes ---- */

static int last_status(hv_resctrl *rc, char *buf, size_t len)
{
	char p[PATH_MAX + 64];

	buf[0] = '\0';
	if (rc_path(rc, p, sizeof(p), "info", "last_cmd_status"))
		return -1;
	return hv_read_str(p, buf, len, NULL);
}

static int write_file(hv_resctrl *rc, const char *group, const char *file,
                      const char *text, int flags, hv_err *err)
{
	char p[PATH_MAX + 128], st[256];
	size_t n = strlen(text);
	ssize_t w;
	int fd, e;

	if (rc_path(rc, p, sizeof(p), group, file))
		return hv_err_set(err, ENAMETOOLONG, "path too long");
	/* A fixture tree is plain files: a fresh group has none yet. */
	if (rc->env.redirected)
		flags |= O_CREAT;
	fd = open(p, O_WRONLY | O_CLOEXEC | flags, 0644);
	if (fd < 0)
		return hv_err_set(err, errno, "%s: %s", p, strerror(errno));
	w = write(fd, text, n);
	e = w < 0 ? errno : (size_t)w != n ? EIO : 0;
	if (close(fd) < 0 && !e)
		e = errno;
	if (!e)
		return 0;
	/* the kernel explains EINVAL in info/last_cmd_status */
	if (last_status(rc, st, sizeof(st)) == 0 && st[0] && strcmp(st, "ok"))
		return hv_err_set(err, e, "%s: %s (%s)", p, strerror(e), st);
	return hv_err_set(err, e, "%s: %s", p, strerror(e));
}

static int write_tid(hv_resctrl *rc, const char *group, int32_t tid,
                     hv_err *err)
{
	char v[24];

	snprintf(v, sizeof(v), "%d\n", (int)tid);
	/* O_APPEND: the kernel ignores the offset; a fixture keeps a log. */
	return write_file(rc, group, "tasks", v, O_APPEND, err);
}

static int rm_tree(const char *p)
{
	DIR *d = opendir(p);
	struct dirent *e;

	if (!d)
		return unlink(p);
	while ((e = readdir(d))) {
		char c[PATH_MAX + 300];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(c, sizeof(c), "%s/%s", p, e->d_name);
		(void)rm_tree(c);
	}
	closedir(d);
	return rmdir(p);
}

static int do_rmdir(hv_resctrl *rc, const char *group, hv_err *err)
{
	char p[PATH_MAX + 128];

	if (rc_path(rc, p, sizeof(p), group, ""))
		return hv_err_set(err, ENAMETOOLONG, "path too long");
	if (rmdir(p) == 0)
		return 0;
	/* resctrl removes a group with its files; a fixture tree is a plain
	 * directory that needs emptying first. */
	if (errno == ENOTEMPTY && rc->env.redirected && rm_tree(p) == 0)
		return 0;
	return hv_err_set(err, errno, "rmdir %s: %s", p, strerror(errno));
}

static int fixture_files(hv_resctrl *rc, const char *group)
{
	char p[PATH_MAX + 128];
	int fd;

	/* the kernel populates a new group; a fixture tree gets the one
	 * file every group has */
	if (!rc->env.redirected || rc_path(rc, p, sizeof(p), group, "tasks"))
		return 0;
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	return 0;
}

static int do_mkdir(hv_resctrl *rc, const char *group, hv_err *err)
{
	char p[PATH_MAX + 128];

	if (rc_path(rc, p, sizeof(p), group, ""))
		return hv_err_set(err, ENAMETOOLONG, "path too long");
	if (mkdir(p, 0755) == 0)
		return fixture_files(rc, group);
	if (errno == ENOENT && rc->env.redirected) {
		/* the kernel gives every class a mon_groups/; a fixture
		 * tree is plain directories */
		char *slash = strrchr(p, '/');
		*slash = '\0';
		(void)mkdir(p, 0755);
		*slash = '/';
		if (mkdir(p, 0755) == 0)
			return fixture_files(rc, group);
	}
	switch (errno) {
	case EBUSY:
		return hv_err_set(err, EBUSY,
		                  "mkdir %s: RMIDs are still in limbo after a "
		                  "recent rmdir (cache lines tagged); retry in "
		                  "a few seconds",
		                  p);
	case ENOSPC:
		return hv_err_set(err, ENOSPC,
		                  "mkdir %s: no free CLOSID or RMID left", p);
	default:
		return hv_err_set(err, errno, "mkdir %s: %s", p,
		                  strerror(errno));
	}
}

static int write_schemata(hv_resctrl *rc, const char *group,
                          const hv_rc_schemata *s, hv_err *err)
{
	char text[4096];

	if (hv_rc_schemata_format(s, text, sizeof(text)))
		return hv_err_set(err, E2BIG, "schemata too long");
	return write_file(rc, group, "schemata", text, O_TRUNC, err);
}

/* ---- undo application ---- */

static int apply_one(hv_resctrl *rc, const act *a, hv_err *err)
{
	switch (a->kind) {
	case ACT_RMDIR:
		return do_rmdir(rc, a->group, err);
	case ACT_MKDIR: {
		int r = do_mkdir(rc, a->group, err);
		return r == -EEXIST ? 0 : r;
	}
	case ACT_SCHEMATA: {
		hv_rc_schemata cur = {0}, one;
		int r = hv_rc_schemata_parse(a->text, &one, err);
		if (r)
			return r;
		(void)rc_schemata_read(rc, a->group, &cur, NULL);
		if ((r = hv_rc_schemata_merge(&cur, &one, err)))
			return r;
		return write_schemata(rc, a->group, &cur, err);
	}
	case ACT_TASK: {
		int r = write_tid(rc, a->group, a->tid, err);
		/* a thread that exited needs no restoring */
		if (r == -ESRCH) {
			hv_err_clear(err);
			return 0;
		}
		return r;
	}
	default:
		return hv_err_set(err, EINVAL, "bad undo record");
	}
}

/* Apply actions [mark, n) newest first and drop them. */
static int rollback(hv_resctrl *rc, hv_rc_undo *u, size_t mark, hv_err *err)
{
	int first = 0;

	while (u->n > mark) {
		hv_err e = {0};
		int r = apply_one(rc, &u->a[u->n - 1], &e);
		if (r && !first) {
			first = r;
			if (err)
				*err = e;
		}
		u->n--;
	}
	return first;
}

int hv_rc_undo_apply(hv_resctrl *rc, hv_rc_undo *u, hv_err *err)
{
	int r = rc_lock(rc, LOCK_EX, err);

	if (r)
		return r;
	r = rollback(rc, u, 0, err);
	rc_unlock(rc);
	return r;
}

int hv_rc_undo_save(const hv_rc_undo *u, char **text, hv_err *err)
{
	size_t cap = 256 + u->n * 1200, off = 0;
	char *buf = malloc(cap);
	static const char *const kn[] = {"", "rmdir", "mkdir", "schemata",
	                                 "task"};

	if (!buf)
		return hv_err_set(err, ENOMEM, "out of memory");
	buf[0] = '\0';
	for (size_t i = 0; i < u->n; i++) {
		const act *a = &u->a[i];
		/* "/" stands for the root group */
		const char *g = a->group[0] ? a->group : "/";
		int n;
		if (a->kind == ACT_SCHEMATA)
			n = snprintf(buf + off, cap - off, "%s %s %s\n",
			             kn[a->kind], g, a->text);
		else if (a->kind == ACT_TASK)
			n = snprintf(buf + off, cap - off, "%s %s %d\n",
			             kn[a->kind], g, (int)a->tid);
		else
			n = snprintf(buf + off, cap - off, "%s %s\n",
			             kn[a->kind], g);
		off += (size_t)n;
	}
	*text = buf;
	return 0;
}

int hv_rc_undo_load(const char *text, hv_rc_undo **out, hv_err *err)
{
	hv_rc_undo *u = hv_rc_undo_new();
	char *copy = strdup(text), *line, *save = NULL;
	int r = 0, ln = 0;

	*out = NULL;
	if (!u || !copy) {
		r = hv_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char kind[16], group[2 * HV_RC_NAME_LEN + 16];
		int off = 0, kd;
		ln++;
		if (sscanf(line, "%15s %111s %n", kind, group, &off) < 2) {
			r = hv_err_set(err, EINVAL, "undo line %d: malformed",
			               ln);
			goto out;
		}
		kd = !strcmp(kind, "rmdir")      ? ACT_RMDIR
		     : !strcmp(kind, "mkdir")    ? ACT_MKDIR
		     : !strcmp(kind, "schemata") ? ACT_SCHEMATA
		     : !strcmp(kind, "task")     ? ACT_TASK
		                                 : 0;
		if (!kd || strstr(group, "..") ||
		    (kd != ACT_SCHEMATA && kd != ACT_TASK &&
		     !strcmp(group, "/"))) {
			r = hv_err_set(err, EINVAL, "undo line %d: bad action",
			               ln);
			goto out;
		}
		if (!strcmp(group, "/"))
			group[0] = '\0';
		if (kd == ACT_TASK) {
			uint64_t t;
			if (hv_parse_u64(line + off, &t) || t > INT32_MAX) {
				r = hv_err_set(err, EINVAL,
				               "undo line %d: bad tid", ln);
				goto out;
			}
			r = push(u, kd, group, NULL, (int32_t)t, err);
		} else if (kd == ACT_SCHEMATA) {
			hv_rc_schemata chk;
			if (hv_rc_schemata_parse(line + off, &chk, err)) {
				r = hv_err_prefix(err, "undo line %d", ln);
				goto out;
			}
			r = push(u, kd, group, line + off, 0, err);
		} else {
			r = push(u, kd, group, NULL, 0, err);
		}
		if (r)
			goto out;
	}
	*out = u;
	u = NULL;
out:
	free(copy);
	hv_rc_undo_free(u);
	return r;
}

/* ---- counting for exhaustion checks ---- */

static int count_groups(hv_resctrl *rc, size_t *ctrl, size_t *mon, hv_err *err)
{
	char(*cls)[HV_RC_NAME_LEN] = calloc(RC_MAX_GROUPS, HV_RC_NAME_LEN);
	char(*mg)[HV_RC_NAME_LEN] = calloc(RC_MAX_GROUPS, HV_RC_NAME_LEN);
	size_t nc = 0, nm = 0;
	int r;

	*ctrl = 1; /* the root */
	*mon = 1;  /* the root's RMID */
	if (!cls || !mg) {
		r = hv_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if ((r = rc_classes(rc, cls, RC_MAX_GROUPS, &nc, err)))
		goto out;
	*ctrl += nc;
	*mon += nc;
	if ((r = rc_mon_groups(rc, "", mg, RC_MAX_GROUPS, &nm, err)))
		goto out;
	*mon += nm;
	for (size_t i = 0; i < nc; i++) {
		if ((r = rc_mon_groups(rc, cls[i], mg, RC_MAX_GROUPS, &nm,
		                       err)))
			goto out;
		*mon += nm;
	}
out:
	free(cls);
	free(mg);
	return r;
}

static int group_exists(hv_resctrl *rc, const char *group)
{
	char p[PATH_MAX + 128];
	struct stat st;

	if (rc_path(rc, p, sizeof(p), group, ""))
		return 0;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int need_ids(hv_resctrl *rc, int new_ctrl, hv_err *err)
{
	const hv_rc_info *in = &rc->info;
	size_t ctrl, mon;
	int r = count_groups(rc, &ctrl, &mon, err);

	if (r)
		return r;
	if (new_ctrl && in->num_closids && ctrl >= in->num_closids)
		return hv_err_set(err, ENOSPC,
		                  "all %u CLOSIDs are in use (%zu classes "
		                  "including the default)",
		                  in->num_closids, ctrl);
	if (in->mon && in->num_rmids && mon >= in->num_rmids)
		return hv_err_set(err, ENOSPC,
		                  "all %u RMIDs are in use (%zu groups)",
		                  in->num_rmids, mon);
	return 0;
}

/* ---- public operations ---- */

int hv_rc_class_set(hv_resctrl *rc, const char *name,
                    const hv_rc_schemata *want, hv_rc_undo *u, hv_err *err)
{
	hv_rc_undo *local = NULL;
	hv_rc_schemata cur, merged;
	size_t mark;
	int r, created = 0;

	if (*name && !hv_rc_name_ok(name)) /* "" is the root (default) */
		return hv_err_set(err, EINVAL,
		                  "\"%s\" is not a valid class name", name);
	if ((r = hv_rc_validate(&rc->info, want, err)))
		return r;
	if (!u && !(u = local = hv_rc_undo_new()))
		return hv_err_set(err, ENOMEM, "out of memory");
	mark = u->n;
	if ((r = rc_lock(rc, LOCK_EX, err)))
		goto out;
	if (*name && !group_exists(rc, name)) {
		if ((r = need_ids(rc, 1, err)) || (r = do_mkdir(rc, name, err)))
			goto unlock;
		if ((r = push(u, ACT_RMDIR, name, NULL, 0, err))) {
			(void)do_rmdir(rc, name, NULL);
			goto unlock;
		}
		created = 1;
	}
	memset(&cur, 0, sizeof(cur));
	if (rc_schemata_read(rc, name, &cur, NULL) && !created) {
		r = rc_schemata_read(rc, name, &cur, err);
		goto fail;
	}
	if (!created) {
		/* remember each line we are about to change */
		for (uint32_t i = 0; i < want->nr; i++) {
			hv_rc_schemata one = {0};
			hv_rc_line *old =
			    hv_rc_schemata_find(&cur, want->line[i].res);
			char text[1100];
			if (!old)
				continue;
			one.nr = 1;
			one.line[0] = *old;
			hv_rc_schemata_format(&one, text, sizeof(text));
			text[strcspn(text, "\n")] = '\0';
			if ((r = push(u, ACT_SCHEMATA, name, text, 0, err)))
				goto fail;
		}
	}
	merged = cur;
	if ((r = hv_rc_schemata_merge(&merged, want, err)) ||
	    (r = write_schemata(rc, name, &merged, err)))
		goto fail;
	goto unlock;
fail:
	(void)rollback(rc, u, mark, NULL);
unlock:
	rc_unlock(rc);
out:
	hv_rc_undo_free(local);
	return r;
}

static void mon_name(char *buf, size_t len, const char *cls, uint32_t id)
{
	if (cls && *cls)
		snprintf(buf, len, "%s/mon_groups/" HV_RC_GROUP_PREFIX "%u",
		         cls, id);
	else
		snprintf(buf, len, "mon_groups/" HV_RC_GROUP_PREFIX "%u", id);
}

int hv_rc_mon_start(hv_resctrl *rc, const char *cls, uint32_t id, pid_t pid,
                    hv_err *err)
{
	char g[2 * HV_RC_NAME_LEN + 32];
	int32_t *tids = NULL;
	size_t n = 0;
	int r;

	if (!rc->info.mon)
		return hv_err_set(err, EOPNOTSUPP,
		                  "no L3 monitoring on this host");
	if (cls && *cls && !hv_rc_name_ok(cls))
		return hv_err_set(err, EINVAL, "bad class name");
	mon_name(g, sizeof(g), cls, id);
	if ((r = rc_pid_tids(&rc->env, pid, &tids, &n, err)))
		return r;
	if ((r = rc_lock(rc, LOCK_EX, err)))
		goto out;
	if (group_exists(rc, g)) {
		r = -EEXIST;
		goto unlock;
	}
	if ((r = need_ids(rc, 0, err)) || (r = do_mkdir(rc, g, err)))
		goto unlock;
	for (size_t i = 0; i < n; i++) {
		r = write_tid(rc, g, tids[i], err);
		if (r == -ESRCH) { /* thread exited meanwhile */
			r = 0;
			continue;
		}
		if (r) {
			(void)do_rmdir(rc, g, NULL);
			break;
		}
	}
unlock:
	rc_unlock(rc);
out:
	free(tids);
	return r;
}

int hv_rc_mon_stop(hv_resctrl *rc, const char *cls, uint32_t id, hv_err *err)
{
	char g[2 * HV_RC_NAME_LEN + 32];
	int r;

	mon_name(g, sizeof(g), cls, id);
	if ((r = rc_lock(rc, LOCK_EX, err)))
		return r;
	r = group_exists(rc, g)
	        ? do_rmdir(rc, g, err)
	        : hv_err_set(err, ENOENT, "%s: no such group", g);
	rc_unlock(rc);
	return r;
}

static int find_class_of(hv_resctrl *rc, int32_t tid, char *cls, size_t len)
{
	char(*names)[HV_RC_NAME_LEN] = calloc(RC_MAX_GROUPS, HV_RC_NAME_LEN);
	size_t n = 0;

	cls[0] = '\0';
	if (!names)
		return -ENOMEM;
	if (!rc_classes(rc, names, RC_MAX_GROUPS, &n, NULL))
		for (size_t i = 0; i < n; i++) {
			int32_t *t = NULL;
			size_t nt = 0;
			int hit = 0;
			if (rc_tasks_read(rc, names[i], &t, &nt, NULL))
				continue;
			for (size_t j = 0; j < nt && !hit; j++)
				hit = t[j] == tid;
			free(t);
			if (hit) {
				snprintf(cls, len, "%s", names[i]);
				break;
			}
		}
	free(names);
	return 0;
}

int hv_rc_assign_pid(hv_resctrl *rc, const char *cls, uint32_t id, pid_t pid,
                     hv_rc_undo *u, hv_err *err)
{
	char old_cls[HV_RC_NAME_LEN], old_mon[2 * HV_RC_NAME_LEN + 32],
	    new_mon[2 * HV_RC_NAME_LEN + 32];
	hv_rc_undo *local = NULL;
	int32_t *tids = NULL;
	size_t n = 0, mark;
	int r, had_mon;

	if (!cls)
		cls = "";
	if (*cls && !hv_rc_name_ok(cls))
		return hv_err_set(err, EINVAL,
		                  "\"%s\" is not a valid class name", cls);
	if ((r = rc_pid_tids(&rc->env, pid, &tids, &n, err)))
		return r;
	if (!u && !(u = local = hv_rc_undo_new())) {
		r = hv_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	mark = u->n;
	if ((r = rc_lock(rc, LOCK_EX, err)))
		goto out;
	if (*cls && !group_exists(rc, cls)) {
		r = hv_err_set(err, ENOENT, "class %s does not exist", cls);
		goto unlock;
	}
	find_class_of(rc, (int32_t)pid, old_cls, sizeof(old_cls));
	if (!strcmp(old_cls, cls))
		goto unlock; /* already there */
	mon_name(old_mon, sizeof(old_mon), old_cls, id);
	mon_name(new_mon, sizeof(new_mon), cls, id);
	had_mon = group_exists(rc, old_mon);
	if (had_mon && group_exists(rc, new_mon)) {
		r = hv_err_set(err, EEXIST, "%s exists already", new_mon);
		goto unlock;
	}
	for (size_t i = 0; i < n; i++) {
		r = write_tid(rc, cls, tids[i], err);
		if (r == -ESRCH) {
			r = 0;
			continue;
		}
		if (r)
			goto fail;
		/* applied newest first: back to the class, then its group */
		if ((had_mon &&
		     (r = push(u, ACT_TASK, old_mon, NULL, tids[i], err))) ||
		    (r = push(u, ACT_TASK, old_cls, NULL, tids[i], err)))
			goto fail;
	}
	if (had_mon) {
		/* monitoring follows the domain into its new class */
		if ((r = need_ids(rc, 0, err)) ||
		    (r = do_mkdir(rc, new_mon, err)))
			goto fail;
		if ((r = push(u, ACT_RMDIR, new_mon, NULL, 0, err)))
			goto fail;
		for (size_t i = 0; i < n; i++) {
			r = write_tid(rc, new_mon, tids[i], err);
			if (r == -ESRCH) {
				r = 0;
				continue;
			}
			if (r)
				goto fail;
		}
		if ((r = do_rmdir(rc, old_mon, err)) ||
		    (r = push(u, ACT_MKDIR, old_mon, NULL, 0, err)))
			goto fail;
	}
	goto unlock;
fail:
	(void)rollback(rc, u, mark, NULL);
unlock:
	rc_unlock(rc);
out:
	hv_rc_undo_free(local);
	free(tids);
	return r;
}

int hv_rc_class_remove(hv_resctrl *rc, const char *name, hv_rc_undo *u,
                       hv_err *err)
{
	char(*mg)[HV_RC_NAME_LEN] = NULL;
	hv_rc_undo *local = NULL;
	hv_rc_schemata cur;
	int32_t *tids = NULL;
	size_t n = 0, nm = 0, mark = 0;
	int r;

	if (!hv_rc_name_ok(name))
		return hv_err_set(err, EINVAL,
		                  "\"%s\" is not a valid class name", name);
	if (!u && !(u = local = hv_rc_undo_new()))
		return hv_err_set(err, ENOMEM, "out of memory");
	if (!(mg = calloc(RC_MAX_GROUPS, HV_RC_NAME_LEN))) {
		r = hv_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	mark = u->n;
	if ((r = rc_lock(rc, LOCK_EX, err)))
		goto out;
	if (!group_exists(rc, name)) {
		r = hv_err_set(err, ENOENT, "class %s does not exist", name);
		goto unlock;
	}
	/* Record, in reverse order of restoring: mon groups' tasks, mon
	 * groups, class tasks, schemata, the class itself. */
	if ((r = rc_mon_groups(rc, name, mg, RC_MAX_GROUPS, &nm, err)))
		goto unlock;
	for (size_t i = 0; i < nm; i++) {
		char g[2 * HV_RC_NAME_LEN + 32];
		int32_t *mt = NULL;
		size_t mn = 0;
		snprintf(g, sizeof(g), "%s/mon_groups/%s", name, mg[i]);
		if ((r = rc_tasks_read(rc, g, &mt, &mn, err)))
			goto fail;
		for (size_t j = 0; j < mn && !r; j++)
			r = push(u, ACT_TASK, g, NULL, mt[j], err);
		free(mt);
		if (r || (r = push(u, ACT_MKDIR, g, NULL, 0, err)))
			goto fail;
	}
	if ((r = rc_tasks_read(rc, name, &tids, &n, err)))
		goto fail;
	for (size_t j = 0; j < n; j++)
		if ((r = push(u, ACT_TASK, name, NULL, tids[j], err)))
			goto fail;
	if (!rc_schemata_read(rc, name, &cur, NULL)) {
		char text[4096];
		hv_rc_schemata_format(&cur, text, sizeof(text));
		/* one action per line keeps records short */
		for (char *s = text, *nl; *s; s = nl + 1) {
			nl = strchr(s, '\n');
			*nl = '\0';
			if ((r = push(u, ACT_SCHEMATA, name, s, 0, err)))
				goto fail;
		}
	}
	if ((r = push(u, ACT_MKDIR, name, NULL, 0, err)))
		goto fail;
	/* the kernel moves the tasks to the root on rmdir */
	if ((r = do_rmdir(rc, name, err)))
		goto fail;
	goto unlock;
fail:
	/* nothing was changed yet: drop the records */
	u->n = mark;
unlock:
	rc_unlock(rc);
out:
	free(tids);
	free(mg);
	hv_rc_undo_free(local);
	return r;
}
