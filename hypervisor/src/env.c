/* SPDX-License-Identifier: MIT */
#include "hv/env.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "hv/rundir.h"

static int root_from(char *dst, const char *var, const char *dflt, hv_err *err)
{
	const char *v = getenv(var);
	size_t n;

	if (!v || !*v)
		v = dflt;
	n = strlen(v);
	while (n > 1 && v[n - 1] == '/') /* "/x/" and "/x" name one root */
		n--;
	if (n >= PATH_MAX)
		return hv_err_set(err, ENAMETOOLONG, "%s is too long", var);
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

int hv_env_init(hv_env *env, hv_err *err)
{
	int rc;

	memset(env, 0, sizeof(*env));
	if ((rc = root_from(env->sys, "HVKIT_SYSFS", "/sys", err)) ||
	    (rc = root_from(env->proc, "HVKIT_PROCFS", "/proc", err)) ||
	    (rc = root_from(env->dev, "HVKIT_DEVFS", "/dev", err)) ||
	    (rc = root_from(env->run, "HVKIT_RUNDIR", HV_RUNDIR_DEFAULT, err)))
		return rc;
	env->redirected =
	    strcmp(env->sys, "/sys") || strcmp(env->proc, "/proc");
	return 0;
}

int hv_env_path(const hv_env *env, hv_root root, char *buf, size_t len,
                const char *fmt, ...)
{
	const char *base;
	va_list ap;
	int n, m;

	switch (root) {
	case HV_ROOT_SYS:
		base = env->sys;
		break;
	case HV_ROOT_PROC:
		base = env->proc;
		break;
	case HV_ROOT_DEV:
		base = env->dev;
		break;
	case HV_ROOT_RUN:
		base = env->run;
		break;
	default:
		return -EINVAL;
	}
	n = snprintf(buf, len, "%s/", base);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= len - (size_t)n)
		return -ENAMETOOLONG;
	return 0;
}

unsigned long hv_env_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = {.rlim_cur = rl.rlim_max,
		                    .rlim_max = rl.rlim_max};
		/* A container may refuse an unlimited soft limit: keep what
		 * was there then. */
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	return rl.rlim_cur == RLIM_INFINITY ? (unsigned long)-1
	                                    : (unsigned long)rl.rlim_cur;
}
