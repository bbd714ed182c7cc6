/* SPDX-License-Identifier: MIT */
/* The undo of every allocation change, appended to <HVKIT_RUNDIR>/rdt-undo;
 * hv-rdt alloc undo applies it, newest first. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rdt.h"

static int undo_path(const hv_env *env, char *p, size_t len)
{
	return hv_env_path(env, HV_ROOT_RUN, p, len, "rdt-undo");
}

/* Keep the undo of what was just done for "alloc undo". */
int rdt_undo_keep(const hv_env *env, hv_rc_undo *u)
{
	char p[PATH_MAX], *text = NULL;
	hv_err e = {0};
	FILE *f;

	if (!hv_rc_undo_len(u))
		return 0;
	(void)mkdir(env->run, 0755);
	if (undo_path(env, p, sizeof(p)) || hv_rc_undo_save(u, &text, &e))
		return -1;
	f = fopen(p, "a");
	if (!f) {
		fprintf(stderr, "hv-rdt: warning: cannot keep undo in %s: %s\n",
		        p, strerror(errno));
		free(text);
		return -1;
	}
	fputs(text, f);
	fclose(f);
	free(text);
	return 0;
}

int rdt_cmd_alloc_undo(rdt_ctx *ctx, int argc, char **argv)
{
	const hv_env *env = &ctx->env;
	char p[PATH_MAX], *text;
	hv_rc_undo *u = NULL;
	hv_err e = {0};
	FILE *f;
	long n;
	int ret = 1;
	(void)argc, (void)argv;

	if (undo_path(env, p, sizeof(p)) || !(f = fopen(p, "r"))) {
		fprintf(stderr, "hv-rdt: nothing to undo\n");
		return 1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
	if (text && n > 0 && fread(text, 1, (size_t)n, f) != (size_t)n)
		n = -1;
	fclose(f);
	if (!text || n < 0) {
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
	unlink(p);
	printf("undone\n");
	ret = 0;
out:
	free(text);
	hv_rc_undo_free(u);
	return ret;
}
