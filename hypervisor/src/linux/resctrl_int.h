/* SPDX-License-Identifier: MIT */
/* Internals shared by resctrl*.c. */
#ifndef HV_RESCTRL_INT_H
#define HV_RESCTRL_INT_H

#include <limits.h>

#include "hv/resctrl.h"

struct hv_resctrl {
	hv_env env;
	char root[PATH_MAX];
	int fd; /* the root directory, for flock */
	hv_rc_info info;
};

int rc_path(const hv_resctrl *rc, char *buf, size_t len, const char *group,
            const char *file);
int rc_lock(hv_resctrl *rc, int how, hv_err *err);
void rc_unlock(hv_resctrl *rc);
/* All TIDs of a process from procfs (malloc'd). */
int rc_pid_tids(const hv_env *env, pid_t pid, int32_t **tids, size_t *n,
                hv_err *err);
/* Unlocked variants used under an already-held lock. */
int rc_tasks_read(hv_resctrl *rc, const char *group, int32_t **tids, size_t *n,
                  hv_err *err);
int rc_classes(hv_resctrl *rc, char (*out)[HV_RC_NAME_LEN], size_t max,
               size_t *n, hv_err *err);
int rc_mon_groups(hv_resctrl *rc, const char *cls, char (*out)[HV_RC_NAME_LEN],
                  size_t max, size_t *n, hv_err *err);
int rc_schemata_read(hv_resctrl *rc, const char *group, hv_rc_schemata *out,
                     hv_err *err);
int rc_mon_read(hv_resctrl *rc, const char *group, hv_rc_mon_raw *out,
                hv_err *err);

#define RC_MAX_GROUPS 256

#endif
