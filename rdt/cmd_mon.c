/* SPDX-License-Identifier: MIT */
/* hv-rdt [mon]: cache occupancy, memory bandwidth and IPC per domain;
 * hv-rdt mon stop: remove the monitoring groups hv-rdt made. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hv/collector.h"
#include "hv/rates.h"
#include "rdt.h"

static void start_groups(hv_resctrl *rc, const hv_snap *s,
                         const rdt_classmap *cm)
{
	size_t n = hv_snap_ndom(s);

	for (size_t i = 0; i < n; i++) {
		const hv_dom *d = hv_snap_dom(s, i);
		const char *cls = rdt_classmap_of(cm, (int32_t)d->id);
		hv_err e = {0};
		int r;

		if (!cls)
			cls = "";
		r = hv_rc_mon_start(rc, cls, d->id, (pid_t)d->id, &e);
		if (r && r != -EEXIST)
			fprintf(stderr, "hv-rdt: domain %u: %s\n", d->id,
			        e.msg);
	}
}

static void print_text(const rdt_opts *o, const hv_snap *s,
                       const rdt_classmap *cm, const char *rdt_desc)
{
	const hv_host *h = hv_snap_host(s);
	size_t n = hv_snap_ndom(s);
	char ts[32];
	time_t now = time(NULL);

	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
	if (isatty(STDOUT_FILENO) && o->iters != 1)
		fputs("\033[H\033[2J", stdout);
	printf("hv-rdt - %s  backend %s  resctrl: %s\n", ts, h->backend,
	       rdt_desc);
	if (h->hw_note[0])
		printf("counters: %s\n", h->hw_note);
	printf("%8s %-16s %-14s %10s %10s %10s %10s %6s", "ID", "NAME", "CLASS",
	       "LLC[KiB]", "MBL[MiB/s]", "MBR[MiB/s]", "MBT[MiB/s]", "IPC");
	for (uint32_t k = 0; k < h->nr_hw; k++) {
		if (!strcmp(h->hw_name[k], "task-clock"))
			printf(" %14s", "TASKCLK[%]");
		else
			printf(" %12.12s/s", h->hw_name[k]);
	}
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		const hv_dom *d = hv_snap_dom(s, i);
		const hv_dom_rate *r = hv_rates_for(s, d);
		const char *cls =
		    cm && cm->n ? rdt_classmap_of(cm, (int32_t)d->id) : NULL;
		double llc = hv_ok(d->llc_bytes) ? (double)d->llc_bytes.v : NAN;
		double ml = r ? r->mbm_local_Bps : NAN;
		double mt = r ? r->mbm_total_Bps : NAN;
		double mr = isnan(ml) || isnan(mt) || mt < ml ? NAN : mt - ml;
		char a[24], b[24], c[24], e[24], f[24];

		rdt_fmt_num(a, sizeof(a), llc, 1024);
		rdt_fmt_num(b, sizeof(b), ml, 1048576);
		rdt_fmt_num(c, sizeof(c), mr, 1048576);
		rdt_fmt_num(e, sizeof(e), mt, 1048576);
		if (r && !isnan(r->ipc))
			snprintf(f, sizeof(f), "%.2f", r->ipc);
		else
			snprintf(f, sizeof(f), "-");
		printf("%8u %-16.16s %-14.14s %10s %10s %10s %10s %6s", d->id,
		       d->name, cls ? rdt_cls_show(cls) : "-", a, b, c, e, f);
		for (uint32_t k = 0; k < h->nr_hw; k++) {
			char g[24];
			/* task-clock is ns per second: show % of one CPU */
			if (!strcmp(h->hw_name[k], "task-clock"))
				rdt_fmt_num(g, sizeof(g), r ? r->hw_ps[k] : NAN,
				            1e7);
			else
				rdt_fmt_rate(g, sizeof(g),
				             r ? r->hw_ps[k] : NAN);
			printf(" %14s", g);
		}
		if (d->note[0])
			printf("  (%s)", d->note);
		printf("\n");
	}
	fflush(stdout);
}

static int print_json(const hv_snap *s, const rdt_classmap *cm,
                      const hv_rc_info *in)
{
	const hv_host *h = hv_snap_host(s);
	cJSON *root = cJSON_CreateObject(), *doms, *rdt;
	size_t n = hv_snap_ndom(s);
	char *txt;

	if (!root)
		return -ENOMEM;
	cJSON_AddNumberToObject(root, "time", (double)hv_snap_wall_ns(s) / 1e9);
	cJSON_AddStringToObject(root, "backend", h->backend);
	rdt = cJSON_AddObjectToObject(root, "resctrl");
	cJSON_AddBoolToObject(rdt, "mounted", in != NULL);
	if (in) {
		cJSON_AddBoolToObject(rdt, "l3_cat", in->l3.present || in->cdp);
		cJSON_AddBoolToObject(rdt, "cdp", in->cdp);
		cJSON_AddBoolToObject(rdt, "mba", in->mb.present);
		cJSON_AddBoolToObject(rdt, "cmt",
		                      in->mon_features & HV_RC_MON_OCC);
		cJSON_AddBoolToObject(rdt, "mbm",
		                      in->mon_features & HV_RC_MON_TOTAL);
		cJSON_AddNumberToObject(rdt, "l3_domains", in->nr_l3);
	}
	cJSON_AddStringToObject(root, "hw_note", h->hw_note);
	doms = cJSON_AddArrayToObject(root, "domains");
	for (size_t i = 0; i < n; i++) {
		const hv_dom *d = hv_snap_dom(s, i);
		const hv_dom_rate *r = hv_rates_for(s, d);
		const char *cls =
		    cm && cm->n ? rdt_classmap_of(cm, (int32_t)d->id) : NULL;
		cJSON *o = cJSON_CreateObject(), *hw;
		double ml = r ? r->mbm_local_Bps : NAN;
		double mt = r ? r->mbm_total_Bps : NAN;

		cJSON_AddItemToArray(doms, o);
		cJSON_AddNumberToObject(o, "id", d->id);
		cJSON_AddStringToObject(o, "name", d->name);
		if (cls)
			cJSON_AddStringToObject(o, "class", rdt_cls_show(cls));
		else
			cJSON_AddNullToObject(o, "class");
		cJSON_AddItemToObject(o, "llc_bytes",
		                      rdt_jnum(hv_ok(d->llc_bytes)
		                                   ? (double)d->llc_bytes.v
		                                   : NAN));
		if (!hv_ok(d->llc_bytes))
			cJSON_AddStringToObject(
			    o, "llc_why", hv_why_str((hv_why)d->llc_bytes.why));
		cJSON_AddItemToObject(o, "mbm_local_Bps", rdt_jnum(ml));
		cJSON_AddItemToObject(o, "mbm_total_Bps", rdt_jnum(mt));
		cJSON_AddItemToObject(o, "mbm_remote_Bps",
		                      rdt_jnum(isnan(ml) || isnan(mt) || mt < ml
		                                   ? NAN
		                                   : mt - ml));
		cJSON_AddItemToObject(o, "ipc", rdt_jnum(r ? r->ipc : NAN));
		hw = cJSON_AddObjectToObject(o, "hw_per_s");
		for (uint32_t k = 0; k < h->nr_hw; k++)
			cJSON_AddItemToObject(hw, h->hw_name[k],
			                      rdt_jnum(r ? r->hw_ps[k] : NAN));
		cJSON_AddStringToObject(o, "note", d->note);
	}
	txt = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!txt)
		return -ENOMEM;
	puts(txt);
	fflush(stdout);
	free(txt);
	return 0;
}

int rdt_cmd_mon(rdt_ctx *ctx, int argc, char **argv)
{
	const rdt_opts *o = &ctx->o;
	hv_backend *b = NULL;
	hv_collector *c = NULL;
	hv_resctrl *rc = NULL;
	hv_collector_opts co = {0};
	hv_err e = {0};
	rdt_classmap cm = {0};
	char desc[160] = "not mounted";
	sigset_t set;
	int r, ret = 1, started = 0;
	long nsamples = 0;

	(void)argc, (void)argv;
	rdt_block_signals(&set);
	/* monitoring works without resctrl: its columns show '-' */
	r = hv_rc_open(&ctx->env, &rc, &e);
	if (r && r != -ENOENT) {
		fprintf(stderr, "hv-rdt: %s\n", e.msg);
		goto out;
	}
	if (rc)
		rdt_describe(hv_rc_info_get(rc), desc, sizeof(desc));
	else if (!o->json)
		fprintf(stderr,
		        "hv-rdt: %s: occupancy and bandwidth show as '-'\n",
		        e.msg);
	if (rdt_open_backend(ctx, 1, &b, &e)) {
		fprintf(stderr, "hv-rdt: %s\n", e.msg);
		goto out;
	}
	co.period_s = o->delay;
	if (hv_collector_new(b, &co, &c, &e)) {
		fprintf(stderr, "hv-rdt: %s\n", e.msg);
		goto out;
	}
	for (long it = 0; o->iters < 0 || it < o->iters;) {
		hv_snap *s;

		if (hv_collector_step(c, &e)) {
			fprintf(stderr, "hv-rdt: sample: %s\n", e.msg);
			goto out;
		}
		s = hv_collector_latest(c);
		if (rc) {
			rdt_classmap_free(&cm);
			if (rdt_classmap_load(rc, &cm, &e))
				rdt_classmap_free(&cm);
		}
		/* KVM: a domain is a QEMU process; give each one its
		 * monitoring group (resctrl hands RMIDs to new threads). */
		if (rc && !started && !o->no_start && hv_rc_info_get(rc)->mon &&
		    !strcmp(hv_backend_name(b), "kvm")) {
			start_groups(rc, s, &cm);
			started = 1;
		}
		/* the first sample has no rates yet (shown as '-'): skip it */
		if (++nsamples > 1 && hv_snap_rates(s)) {
			if (o->json)
				print_json(s, &cm,
				           rc ? hv_rc_info_get(rc) : NULL);
			else
				print_text(o, s, &cm, desc);
			it++;
		}
		hv_snap_unref(s);
		if ((o->iters < 0 || it < o->iters) &&
		    rdt_wait_or_signal(&set, o->delay))
			break;
	}
	ret = 0;
out:
	rdt_classmap_free(&cm);
	hv_collector_free(c);
	hv_backend_close(b);
	hv_rc_close(rc);
	return ret;
}

int rdt_cmd_mon_stop(rdt_ctx *ctx, int argc, char **argv)
{
	char cls[RDT_MAX_CLASSES + 1][HV_RC_NAME_LEN];
	char(*mg)[HV_RC_NAME_LEN] = calloc(1024, HV_RC_NAME_LEN);
	size_t nc = 0;
	hv_err e = {0};
	int ret = 0;

	hv_resctrl *rc = ctx->rc;

	if (!mg)
		return RDT_FAIL;
	cls[0][0] = '\0';
	if (hv_rc_classes(rc, cls + 1, RDT_MAX_CLASSES, &nc, &e)) {
		fprintf(stderr, "hv-rdt: %s\n", e.msg);
		free(mg);
		return 1;
	}
	for (size_t c = 0; c <= nc; c++) {
		size_t nm = 0;
		if (hv_rc_mon_groups(rc, cls[c], mg, 1024, &nm, &e))
			continue;
		for (size_t i = 0; i < nm; i++) {
			unsigned long id;
			char *end;
			int want = argc == 0;
			size_t pl = strlen(HV_RC_GROUP_PREFIX);
			if (strncmp(mg[i], HV_RC_GROUP_PREFIX, pl))
				continue;
			id = strtoul(mg[i] + pl, &end, 10);
			if (*end)
				continue;
			for (int a = 0; a < argc; a++)
				want |= strtoul(argv[a], NULL, 10) == id;
			if (!want)
				continue;
			if (hv_rc_mon_stop(rc, cls[c], (uint32_t)id, &e)) {
				fprintf(stderr, "hv-rdt: %s\n", e.msg);
				ret = 1;
			} else {
				printf("removed %s%smon_groups/%s\n", cls[c],
				       *cls[c] ? "/" : "", mg[i]);
			}
		}
	}
	free(mg);
	return ret;
}
