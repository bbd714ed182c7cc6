/* SPDX-License-Identifier: MIT */
/* hv-rdt alloc show | set | assign | reset: cache and bandwidth allocation
 * classes; every change keeps its undo (undo.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdt.h"

int rdt_cmd_alloc_show(rdt_ctx *ctx, int argc, char **argv)
{
	const rdt_opts *o = &ctx->o;
	hv_backend *b = NULL;
	hv_snap *s = NULL;
	rdt_classmap cm;
	hv_err e = {0};
	cJSON *j = NULL, *arr = NULL;
	int ret = 1;
	hv_resctrl *rc = ctx->rc;
	(void)argc, (void)argv;

	if (rdt_classmap_load(rc, &cm, &e)) {
		fprintf(stderr, "hv-rdt: %s\n", e.msg);
		goto out;
	}
	/* domains are optional here: allocation shows without a backend */
	if (!rdt_open_backend(ctx, 0, &b, NULL))
		(void)hv_backend_sample(b, &s, NULL);
	if (o->json) {
		j = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(j, "classes");
	} else {
		rdt_print_caps(hv_rc_info_get(rc));
		printf("\n%-16s %-40s %s\n", "CLASS", "SCHEMATA", "DOMAINS");
	}
	for (size_t i = 0; i < cm.n; i++) {
		hv_rc_schemata sch;
		char text[2048] = "", doms[512] = "";
		cJSON *c = NULL, *dl = NULL;
		size_t off = 0;

		if (!hv_rc_schemata_read(rc, cm.name[i], &sch, NULL))
			hv_rc_schemata_format(&sch, text, sizeof(text));
		for (char *p = text; *p; p++)
			if (*p == '\n')
				*p = p[1] ? ' ' : '\0';
		if (j) {
			c = cJSON_CreateObject();
			cJSON_AddItemToArray(arr, c);
			cJSON_AddStringToObject(c, "name",
			                        rdt_cls_show(cm.name[i]));
			cJSON_AddStringToObject(c, "schemata", text);
			cJSON_AddNumberToObject(c, "tasks",
			                        (double)cm.ntids[i]);
			dl = cJSON_AddArrayToObject(c, "domains");
		}
		for (size_t k = 0; s && k < hv_snap_ndom(s); k++) {
			const hv_dom *d = hv_snap_dom(s, k);
			const char *dc = rdt_classmap_of(&cm, (int32_t)d->id);
			if (!dc || strcmp(dc, cm.name[i]))
				continue;
			if (dl)
				cJSON_AddItemToArray(dl,
				                     cJSON_CreateNumber(d->id));
			if (off < sizeof(doms) - 16)
				off += (size_t)snprintf(
				    doms + off, sizeof(doms) - off, "%s%u",
				    off ? " " : "", d->id);
		}
		if (!j)
			printf("%-16s %-40s %s\n", rdt_cls_show(cm.name[i]),
			       text, doms[0] ? doms : "-");
	}
	if (j) {
		char *t = cJSON_PrintUnformatted(j);
		if (t) {
			puts(t);
			free(t);
		}
	}
	ret = 0;
out:
	cJSON_Delete(j);
	rdt_classmap_free(&cm);
	hv_snap_unref(s);
	hv_backend_close(b);
	return ret;
}

int rdt_cmd_alloc_set(rdt_ctx *ctx, int argc, char **argv)
{
	char text[4096] = "";
	size_t off = 0;
	hv_rc_schemata want;
	hv_rc_undo *u = hv_rc_undo_new();
	hv_err e = {0};
	int ret = 1;

	hv_resctrl *rc = ctx->rc;

	for (int i = 1; i < argc; i++) {
		int n =
		    snprintf(text + off, sizeof(text) - off, "%s\n", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(text) - off) {
			fprintf(stderr, "hv-rdt: schemata too long\n");
			goto out;
		}
		off += (size_t)n;
	}
	if (hv_rc_schemata_parse(text, &want, &e) ||
	    hv_rc_class_set(rc, rdt_cls_arg(argv[0]), &want, u, &e)) {
		fprintf(stderr, "hv-rdt: %s\n", e.msg);
		goto out;
	}
	if (rdt_undo_keep(&ctx->env, u)) {
		rdt_roll_back(rc, u);
		goto out;
	}
	printf("%s: set\n", argv[0]);
	ret = 0;
out:
	hv_rc_undo_free(u);
	return ret;
}

int rdt_cmd_alloc_assign(rdt_ctx *ctx, int argc, char **argv)
{
	hv_backend *b = NULL;
	hv_snap *s = NULL;
	hv_rc_undo *u = hv_rc_undo_new();
	hv_err e = {0};
	int ret = 1;

	hv_resctrl *rc = ctx->rc;

	if (rdt_open_backend(ctx, 0, &b, &e) || hv_backend_sample(b, &s, &e)) {
		fprintf(stderr, "hv-rdt: %s\n", e.msg);
		goto out;
	}
	if (!strcmp(hv_backend_name(b), "xen")) {
		fprintf(stderr, "hv-rdt: Xen domains are not Linux tasks: use "
		                "Xen PSR (xl psr-cat-set)\n");
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		char *end;
		unsigned long id = strtoul(argv[i], &end, 10);
		if (*end || !*argv[i] || id > UINT32_MAX ||
		    !hv_snap_find_id(s, (uint32_t)id)) {
			fprintf(stderr, "hv-rdt: no domain %s\n", argv[i]);
			goto fail;
		}
		if (hv_rc_assign_pid(rc, rdt_cls_arg(argv[0]), (uint32_t)id,
		                     (pid_t)id, u, &e)) {
			fprintf(stderr, "hv-rdt: domain %s: %s\n", argv[i],
			        e.msg);
			goto fail;
		}
		printf("%s -> %s\n", argv[i], argv[0]);
	}
	if (rdt_undo_keep(&ctx->env, u))
		goto fail;
	ret = 0;
	goto out;
fail:
	rdt_roll_back(rc, u); /* all or nothing */
out:
	hv_rc_undo_free(u);
	hv_snap_unref(s);
	hv_backend_close(b);
	return ret;
}

int rdt_cmd_alloc_reset(rdt_ctx *ctx, int argc, char **argv)
{
	char cls[RDT_MAX_CLASSES][HV_RC_NAME_LEN];
	size_t nc = 0;
	hv_rc_undo *u = hv_rc_undo_new();
	hv_err e = {0};
	int ret = 1;

	hv_resctrl *rc = ctx->rc;

	if (argc == 0) {
		if (hv_rc_classes(rc, cls, RDT_MAX_CLASSES, &nc, &e)) {
			fprintf(stderr, "hv-rdt: %s\n", e.msg);
			goto out;
		}
	} else {
		for (int i = 0; i < argc && nc < RDT_MAX_CLASSES; i++)
			snprintf(cls[nc++], HV_RC_NAME_LEN, "%s", argv[i]);
	}
	for (size_t i = 0; i < nc; i++) {
		if (hv_rc_class_remove(rc, cls[i], u, &e)) {
			fprintf(stderr, "hv-rdt: %s\n", e.msg);
			goto fail;
		}
		printf("removed %s\n", cls[i]);
	}
	if (argc == 0) {
		hv_rc_schemata cur, def;
		if (!hv_rc_schemata_read(rc, "", &cur, NULL)) {
			hv_rc_default_schemata(hv_rc_info_get(rc), &cur, &def);
			if (def.nr && hv_rc_class_set(rc, "", &def, u, &e)) {
				fprintf(stderr, "hv-rdt: default: %s\n", e.msg);
				goto fail;
			}
			printf("default: full cache and bandwidth\n");
		}
	}
	if (rdt_undo_keep(&ctx->env, u))
		goto fail;
	ret = 0;
	goto out;
fail:
	rdt_roll_back(rc, u);
out:
	hv_rc_undo_free(u);
	return ret;
}
