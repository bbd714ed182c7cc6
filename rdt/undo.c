/* SPDX-License-Identifier: MIT */
/* The undo of every allocation change, appended to <HVKIT_RUNDIR>/rdt-undo
 * (libhv's atomic replace); hv-rdt alloc undo applies it, newest first. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv/durable.h"
#include "hv/rundir.h"
#include "rdt.h"

static int undo_path(const hv_env *env, char *p, size_t len)
{
	return hv_run_path(env->run, HV_RUN_RDT_UNDO, p, len);
}

/* Keep the undo of what was just done for "alloc undo", after what is
 * kept already: libhv's atomic replace (fsynced, the directory too). */
int rdt_undo_keep(const hv_env *env, hv_rc_undo *u)
{
	char p[PATH_MAX] = "", *text = NULL, *old = NULL, *all = NULL;
	size_t olen = 0, tlen;
	hv_err e = {0};
	int rc = -1;

	if (!hv_rc_undo_len(u))
		return 0;
	(void)mkdir(env->run, 0755);
	if (undo_path(env, p, sizeof(p)) || hv_rc_undo_save(u, &text, &e))
		goto out;
	if (hv_file_read(p, 1u << 24, &old, &olen, &e) && e.code != ENOENT)
		goto out;
	tlen = strlen(text);
	if (!(all = malloc(olen + tlen + 1)))
		goto out;
	memcpy(all, old ? old : "", olen);
	memcpy(all + olen, text, tlen + 1);
	rc = hv_file_replace(p, all, olen + tlen, 0644, &e);
out:
	if (rc)
		fprintf(stderr, "hv-rdt: cannot keep undo in %s: %s\n", p,
		        e.msg[0] ? e.msg : "out of memory");
	free(all);
	free(old);
	free(text);
	return rc;
}

/* A change that failed, or whose undo could not be kept, is put back. */
void rdt_roll_back(hv_resctrl *rc, hv_rc_undo *u)
{
	hv_err e = {0};

	if (hv_rc_undo_apply(rc, u, &e))
		fprintf(stderr, "hv-rdt: undo: %s\n", e.msg);
}

int rdt_cmd_alloc_undo(rdt_ctx *ctx, int argc, char **argv)
{
	const hv_env *env = &ctx->env;
	char p[PATH_MAX], *text = NULL;
	hv_rc_undo *u = NULL;
	hv_err e = {0};
	int ret = 1;
	(void)argc, (void)argv;

	if (undo_path(env, p, sizeof(p)) ||
	    hv_file_read(p, 1u << 24, &text, NULL, &e) == -ENOENT) {
		fprintf(stderr, "hv-rdt: nothing to undo\n");
		return 1;
	}
	if (!text) {
		fprintf(stderr, "hv-rdt: %s: unreadable\n", p);
		goto out;
	}
	if (hv_rc_undo_load(text, &u, &e)) {
		fprintf(stderr, "hv-rdt: %s: %s\n", p, e.msg);
		goto out;
	}
	if (hv_rc_undo_apply(ctx->rc, u, &e)) {
		fprintf(stderr, "hv-rdt: undo: %s\n", e.msg);
		goto out;
	}
	(void)hv_file_remove(p, NULL);
	printf("undone\n");
	ret = 0;
out:
	free(text);
	hv_rc_undo_free(u);
	return ret;
}
