/* SPDX-License-Identifier: MIT */
#include "hv/rundir.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/durable.h"
#include "hv/knob.h"

int hv_run_path(const char *dir, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int hv_run_lock(const char *path, int *fd, hv_err *err)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	char pid[24];
	int f, n, rc = 0;

	*fd = -1;
	f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (f < 0)
		return hv_err_set(err, errno, "%s: %s", path, strerror(errno));
	if (fcntl(f, F_OFD_SETLK, &fl)) {
		rc = errno == EAGAIN || errno == EACCES
		         ? hv_err_set(err, EBUSY,
		                      "%s: another hv-powerd holds it", path)
		         : hv_err_set(err, errno, "%s: lock: %s", path,
		                      strerror(errno));
		goto out;
	}
	/* The pid is for people and hv_run_lock_probe; the lock decides. */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(f, 0) == 0 && pwrite(f, pid, (size_t)n, 0) != n) {
		/* A torn pid would mislead the probe: leave the file empty.
		 * (void) does not silence warn_unused_result under FORTIFY. */
		int e = ftruncate(f, 0);
		(void)e;
	}
out:
	if (rc) {
		close(f);
		return rc;
	}
	*fd = f;
	return 0;
}

int hv_run_lock_probe(const char *path, pid_t *pid)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	char buf[24] = "";
	int f, rc;

	if (pid)
		*pid = 0;
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fcntl(f, F_OFD_GETLK, &fl)) {
		rc = -errno;
		goto out;
	}
	rc = fl.l_type != F_UNLCK;
	if (rc && pid && pread(f, buf, sizeof(buf) - 1, 0) > 0)
		*pid = (pid_t)strtol(buf, NULL, 10);
out:
	close(f);
	return rc;
}

/* One spelling per knob, so "cpu/3/online" matches however it came. */
static void canon(const char *knob, char *buf, size_t len)
{
	hv_knob k;

	if (hv_knob_parse(knob, &k, NULL) || hv_knob_fmt(&k, buf, len) < 0)
		snprintf(buf, len, "%s", knob);
}

static void copy_str(const cJSON *o, const char *key, char *buf, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	snprintf(buf, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

int hv_powerd_holds(const char *dir, const char *knob, hv_powerd_hold *h,
                    hv_err *err)
{
	char lock[PATH_MAX], state[PATH_MAX], want[HV_KNOB_LEN];
	char *txt = NULL;
	cJSON *st = NULL;
	const cJSON *e;
	pid_t pid = 0;
	int rc;

	memset(h, 0, sizeof(*h));
	if (hv_run_path(dir, HV_RUN_LOCK, lock, sizeof(lock)) ||
	    hv_run_path(dir, HV_RUN_STATE, state, sizeof(state)))
		return hv_err_set(err, ENAMETOOLONG, "%s: path too long", dir);
	rc = hv_run_lock_probe(lock, &pid);
	if (rc <= 0) {
		if (rc < 0)
			hv_err_set(err, -rc, "%s: %s", lock, strerror(-rc));
		return rc; /* nobody runs: nothing held by a live daemon */
	}
	h->pid = pid;
	if ((rc = hv_file_read(state, 4u << 20, &txt, NULL, err)))
		goto out;
	st = cJSON_Parse(txt);
	e = st ? cJSON_GetObjectItemCaseSensitive(st, "held") : NULL;
	if (!cJSON_IsArray(e)) {
		rc = hv_err_set(err, EIO, "%s: unreadable", state);
		goto out;
	}
	canon(knob, want, sizeof(want));
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(st, "held"))
	{
		char name[HV_KNOB_LEN], got[HV_KNOB_LEN];
		copy_str(e, "knob", name, sizeof(name));
		canon(name, got, sizeof(got));
		if (strcmp(got, want))
			continue;
		copy_str(e, "policy", h->policy, sizeof(h->policy));
		copy_str(e, "orig", h->orig, sizeof(h->orig));
		copy_str(e, "cur", h->cur, sizeof(h->cur));
		rc = 1;
		goto out;
	}
	rc = 0;
out:
	if (rc < 0 && rc != -ENOENT)
		hv_err_prefix(err, "hv-powerd (pid %ld) runs but",
		              (long)h->pid);
	else if (rc == -ENOENT)
		rc = hv_err_set(err, ENOENT,
		                "hv-powerd (pid %ld) runs but has no %s yet",
		                (long)h->pid, state);
	cJSON_Delete(st);
	free(txt);
	return rc;
}
