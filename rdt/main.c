/* SPDX-License-Identifier: MIT */
/* hv-rdt: cache occupancy, memory bandwidth and allocation per domain, in
 * the spirit of Intel's pqos. Domains come from libhv's backend; every host
 * change goes through libhv's resctrl API, with its undo appended to
 * <HVKIT_RUNDIR>/rdt-undo so "alloc undo" can restore it. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "hv/backend.h"
#include "hv/collector.h"
#include "hv/durable.h"
#include "hv/pmu.h"
#include "hv/rates.h"
#include "hv/resctrl.h"
#include "hv/rundir.h"
#include "hv/sysio.h"
#include "rdt_policy.h"

#define MAX_CLASSES 64

typedef struct opts {
	long iters;   /* -1 = until interrupted */
	double delay; /* seconds */
	int json;
	int no_start;
	const char *backend;
	const char *events; /* NULL = default, "" = none */
} opts;

static const char usage_text[] =
    "Usage: hv-rdt [OPTIONS] [mon]\n"
    "       hv-rdt [OPTIONS] mon stop [ID...]\n"
    "       hv-rdt [OPTIONS] info\n"
    "       hv-rdt [OPTIONS] alloc show\n"
    "       hv-rdt [OPTIONS] alloc set CLASS LINE...\n"
    "       hv-rdt [OPTIONS] alloc assign CLASS ID...\n"
    "       hv-rdt [OPTIONS] alloc reset [CLASS...]\n"
    "       hv-rdt [OPTIONS] alloc undo\n"
    "       hv-rdt [OPTIONS] watch [llc-max B] [mbm-max B/s] [hold S] [calm "
    "S]\n"
    "Cache occupancy, memory bandwidth and cache/bandwidth allocation per\n"
    "domain through Linux resctrl.\n"
    "\n"
    "Options:\n"
    "  -i, --iterations N  monitor: refresh N times, then exit\n"
    "  -d, --delay SEC     monitor: seconds between refreshes (default 1)\n"
    "  -j, --json          JSON output (monitor: one object per line)\n"
    "  -b, --backend NAME  kvm, xen, synth, replay (default: detect)\n"
    "  -e, --events LIST   perf events per vCPU (default\n"
    "                      instructions,cycles,llc_misses; \"\" for none)\n"
    "  -n, --no-start      monitor: do not create monitoring groups\n"
    "  -h, --help          this text\n"
    "  -V, --version       version\n"
    "\n"
    "CLASS is a resctrl group name, or \"default\" for the root group.\n"
    "LINE is a schemata line such as L3:0=ff;1=ff or MB:0=50.\n"
    "ID is a domain id (the QEMU pid on KVM).\n";

/* ---------- helpers ---------- */

static int open_backend(const opts *o, const hv_env *env, int pmu,
                        hv_backend **b, hv_err *err)
{
	hv_backend_opts bo = {0};

	bo.name = o->backend;
	/* synth and replay thread ids are not real threads of this host */
	if (o->backend &&
	    (!strcmp(o->backend, "synth") || !strcmp(o->backend, "replay")))
		pmu = 0;
	if (pmu)
		bo.pmu_events = o->events ? o->events : HV_PMU_EVENTS_DEFAULT;
	if (bo.pmu_events && !*bo.pmu_events)
		bo.pmu_events = NULL;
	return hv_backend_open(env, &bo, b, err);
}

static const char *cls_arg(const char *c)
{
	return !strcmp(c, "default") ? "" : c;
}

static const char *cls_show(const char *c)
{
	return *c ? c : "default";
}

/* Class of every class member: tasks of each class, matched by pid. */
typedef struct classmap {
	size_t n;
	char name[MAX_CLASSES + 1][HV_RC_NAME_LEN];
	int32_t *tids[MAX_CLASSES + 1];
	size_t ntids[MAX_CLASSES + 1];
} classmap;

static void classmap_free(classmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->tids[i]);
	m->n = 0;
}

static int classmap_load(hv_resctrl *rc, classmap *m, hv_err *err)
{
	size_t n = 0;
	int r;

	memset(m, 0, sizeof(*m));
	r = hv_rc_classes(rc, m->name + 1, MAX_CLASSES, &n, err);
	if (r)
		return r;
	m->name[0][0] = '\0';
	m->n = n + 1;
	for (size_t i = 0; i < m->n; i++) {
		size_t cap = 65536, got = 0;
		m->tids[i] = malloc(cap * sizeof(int32_t));
		if (!m->tids[i])
			return hv_err_set(err, ENOMEM, "out of memory");
		if (hv_rc_tasks_read(rc, m->name[i], m->tids[i], cap, &got,
		                     NULL))
			got = 0;
		m->ntids[i] = got;
	}
	return 0;
}

static const char *classmap_of(const classmap *m, int32_t pid)
{
	if (!m->n)
		return NULL; /* resctrl not mounted */
	for (size_t i = 1; i < m->n; i++)
		for (size_t j = 0; j < m->ntids[i]; j++)
			if (m->tids[i][j] == pid)
				return m->name[i];
	/* a task in no class is in the root (default) class */
	return "";
}

static void fmt_num(char *buf, size_t len, double v, double div)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", v / div);
}

static void fmt_rate(char *buf, size_t len, double v)
{
	const char *suf = "";

	if (isnan(v)) {
		snprintf(buf, len, "-");
		return;
	}
	if (v >= 1e9) {
		v /= 1e9;
		suf = "G";
	} else if (v >= 1e6) {
		v /= 1e6;
		suf = "M";
	} else if (v >= 1e3) {
		v /= 1e3;
		suf = "k";
	}
	snprintf(buf, len, "%.1f%s", v, suf);
}

static cJSON *jnum(double v)
{
	return isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v);
}

static void describe(const hv_rc_info *in, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s, %u L3 domain%s, CLOSIDs %u, RMIDs %u",
	         in->cdp          ? "L3 CAT+CDP"
	         : in->l3.present ? "L3 CAT"
	                          : "no L3 CAT",
	         in->mb.present ? ", MBA" : "",
	         in->mon_features & HV_RC_MON_OCC ? ", CMT" : "",
	         in->mon_features & (HV_RC_MON_TOTAL | HV_RC_MON_LOCAL)
	             ? ", MBM"
	             : "",
	         in->nr_l3, in->nr_l3 == 1 ? "" : "s", in->num_closids,
	         in->num_rmids);
}

/* ---------- monitor ---------- */

static void start_groups(hv_resctrl *rc, const hv_snap *s, const classmap *cm)
{
	size_t n = hv_snap_ndom(s);

	for (size_t i = 0; i < n; i++) {
		const hv_dom *d = hv_snap_dom(s, i);
		const char *cls = classmap_of(cm, (int32_t)d->id);
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

static void print_text(const opts *o, const hv_snap *s, const classmap *cm,
                       const char *rdt_desc)
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
		    cm && cm->n ? classmap_of(cm, (int32_t)d->id) : NULL;
		double llc = hv_ok(d->llc_bytes) ? (double)d->llc_bytes.v : NAN;
		double ml = r ? r->mbm_local_Bps : NAN;
		double mt = r ? r->mbm_total_Bps : NAN;
		double mr = isnan(ml) || isnan(mt) || mt < ml ? NAN : mt - ml;
		char a[24], b[24], c[24], e[24], f[24];

		fmt_num(a, sizeof(a), llc, 1024);
		fmt_num(b, sizeof(b), ml, 1048576);
		fmt_num(c, sizeof(c), mr, 1048576);
		fmt_num(e, sizeof(e), mt, 1048576);
		if (r && !isnan(r->ipc))
			snprintf(f, sizeof(f), "%.2f", r->ipc);
		else
			snprintf(f, sizeof(f), "-");
		printf("%8u %-16.16s %-14.14s %10s %10s %10s %10s %6s", d->id,
		       d->name, cls ? cls_show(cls) : "-", a, b, c, e, f);
		for (uint32_t k = 0; k < h->nr_hw; k++) {
			char g[24];
			/* task-clock is ns per second: show % of one CPU */
			if (!strcmp(h->hw_name[k], "task-clock"))
				fmt_num(g, sizeof(g), r ? r->hw_ps[k] : NAN,
				        1e7);
			else
				fmt_rate(g, sizeof(g), r ? r->hw_ps[k] : NAN);
			printf(" %14s", g);
		}
		if (d->note[0])
			printf("  (%s)", d->note);
		printf("\n");
	}
	fflush(stdout);
}

static int print_json(const hv_snap *s, const classmap *cm,
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
		    cm && cm->n ? classmap_of(cm, (int32_t)d->id) : NULL;
		cJSON *o = cJSON_CreateObject(), *hw;
		double ml = r ? r->mbm_local_Bps : NAN;
		double mt = r ? r->mbm_total_Bps : NAN;

		cJSON_AddItemToArray(doms, o);
		cJSON_AddNumberToObject(o, "id", d->id);
		cJSON_AddStringToObject(o, "name", d->name);
		if (cls)
			cJSON_AddStringToObject(o, "class", cls_show(cls));
		else
			cJSON_AddNullToObject(o, "class");
		cJSON_AddItemToObject(
		    o, "llc_bytes",
		    jnum(hv_ok(d->llc_bytes) ? (double)d->llc_bytes.v : NAN));
		if (!hv_ok(d->llc_bytes))
			cJSON_AddStringToObject(
			    o, "llc_why", hv_why_str((hv_why)d->llc_bytes.why));
		cJSON_AddItemToObject(o, "mbm_local_Bps", jnum(ml));
		cJSON_AddItemToObject(o, "mbm_total_Bps", jnum(mt));
		cJSON_AddItemToObject(
		    o, "mbm_remote_Bps",
		    jnum(isnan(ml) || isnan(mt) || mt < ml ? NAN : mt - ml));
		cJSON_AddItemToObject(o, "ipc", jnum(r ? r->ipc : NAN));
		hw = cJSON_AddObjectToObject(o, "hw_per_s");
		for (uint32_t k = 0; k < h->nr_hw; k++)
			cJSON_AddItemToObject(hw, h->hw_name[k],
			                      jnum(r ? r->hw_ps[k] : NAN));
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

/* Sleep, returning 1 when SIGINT/SIGTERM arrived (they are blocked and
 * taken here, so no handler state is needed). */
static int wait_or_signal(const sigset_t *set, double sec)
{
	struct timespec ts;

	ts.tv_sec = (time_t)sec;
	ts.tv_nsec = (long)((sec - (double)ts.tv_sec) * 1e9);
	for (;;) {
		int s = sigtimedwait(set, NULL, &ts);
		if (s > 0)
			return 1;
		if (errno == EAGAIN)
			return 0;
		if (errno != EINTR)
			return 0;
	}
}

static int cmd_mon(const opts *o, const hv_env *env)
{
	hv_backend *b = NULL;
	hv_collector *c = NULL;
	hv_resctrl *rc = NULL;
	hv_collector_opts co = {0};
	hv_err e = {0};
	classmap cm = {0};
	char desc[160] = "not mounted";
	sigset_t set;
	int r, ret = 1, started = 0;
	long nsamples = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);

	r = hv_rc_open(env, &rc, &e);
	if (r && r != -ENOENT) {
		fprintf(stderr, "hv-rdt: %s\n", e.msg);
		goto out;
	}
	if (rc)
		describe(hv_rc_info_get(rc), desc, sizeof(desc));
	else if (!o->json)
		fprintf(stderr,
		        "hv-rdt: %s: occupancy and bandwidth show as '-'\n",
		        e.msg);
	if (open_backend(o, env, 1, &b, &e)) {
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
			classmap_free(&cm);
			if (classmap_load(rc, &cm, &e))
				classmap_free(&cm);
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
		    wait_or_signal(&set, o->delay))
			break;
	}
	ret = 0;
out:
	classmap_free(&cm);
	hv_collector_free(c);
	hv_backend_close(b);
	hv_rc_close(rc);
	return ret;
}

static int cmd_mon_stop(hv_resctrl *rc, int argc, char **argv)
{
	char cls[MAX_CLASSES + 1][HV_RC_NAME_LEN];
	char(*mg)[HV_RC_NAME_LEN] = calloc(1024, HV_RC_NAME_LEN);
	size_t nc = 0;
	hv_err e = {0};
	int ret = 0;

	if (!mg)
		return 1;
	cls[0][0] = '\0';
	if (hv_rc_classes(rc, cls + 1, MAX_CLASSES, &nc, &e)) {
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

/* ---------- watch: the noisy-neighbour policy, dry run ---------- */

static int parse_pos(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || !(v >= 0) || isinf(v))
		return -1;
	*out = v;
	return 0;
}

static int cmd_watch(const opts *o, const hv_env *env, int argc, char **argv)
{
	rdt_policy_cfg cfg = {0};
	rdt_policy *pol = NULL;
	hv_backend *b = NULL;
	hv_collector *c = NULL;
	hv_collector_opts co = {0};
	rdt_policy_in *in = NULL;
	rdt_policy_action act[64];
	hv_err e = {0};
	sigset_t set;
	int ret = 1;

	for (int i = 0; i < argc; i += 2) {
		double v;
		/* hold and calm 0 are refused: the policy reads 0 as its
		 * default */
		if (i + 1 >= argc || parse_pos(argv[i + 1], &v) ||
		    (v == 0 &&
		     (!strcmp(argv[i], "hold") || !strcmp(argv[i], "calm")))) {
			fprintf(stderr,
			        "hv-rdt: watch: bad or missing value for %s\n",
			        argv[i]);
			return 2;
		}
		if (!strcmp(argv[i], "llc-max"))
			cfg.llc_max_bytes = v;
		else if (!strcmp(argv[i], "mbm-max"))
			cfg.mbm_max_Bps = v;
		else if (!strcmp(argv[i], "hold"))
			cfg.hold_s = v;
		else if (!strcmp(argv[i], "calm"))
			cfg.calm_s = v;
		else {
			fprintf(stderr, "hv-rdt: watch: unknown %s\n", argv[i]);
			return 2;
		}
	}
	if (!(pol = rdt_policy_new(&cfg))) {
		fprintf(stderr, "hv-rdt: watch: give llc-max BYTES and/or "
		                "mbm-max BYTES_PER_S\n");
		return 2;
	}
	rdt_policy_defaults(&cfg);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	co.period_s = o->delay;
	if (open_backend(o, env, 0, &b, &e) ||
	    hv_collector_new(b, &co, &c, &e)) {
		fprintf(stderr, "hv-rdt: %s\n", e.msg);
		goto out;
	}
	for (long it = 0; o->iters < 0 || it < o->iters; it++) {
		hv_snap *s;
		size_t n, na;
		if (hv_collector_step(c, &e)) {
			fprintf(stderr, "hv-rdt: sample: %s\n", e.msg);
			goto out;
		}
		s = hv_collector_latest(c);
		n = hv_snap_ndom(s);
		free(in);
		if (!(in = calloc(n ? n : 1, sizeof(*in)))) {
			hv_snap_unref(s);
			goto out;
		}
		n = rdt_policy_inputs(s, in, n);
		na = rdt_policy_step(pol, (double)hv_snap_mono_ns(s) / 1e9, in,
		                     n, act, sizeof(act) / sizeof(act[0]));
		for (size_t i = 0; i < na; i++) {
			const hv_dom *d = hv_snap_find_key(s, act[i].key);
			const char *what = act[i].act == RDT_ACT_RESTRICT
			                       ? "restrict"
			                       : "release";
			if (o->json)
				printf("{\"id\":%u,\"action\":\"%s\",\"class\":"
				       "\"%s\",\"dry_run\":true}\n",
				       act[i].id, what,
				       act[i].act == RDT_ACT_RESTRICT
				           ? cfg.restricted_class
				           : "previous");
			else
				printf("would %s domain %u (%s): %s\n", what,
				       act[i].id, d ? d->name : "?",
				       act[i].reason);
		}
		fflush(stdout);
		hv_snap_unref(s);
		if ((o->iters < 0 || it + 1 < o->iters) &&
		    wait_or_signal(&set, o->delay))
			break;
	}
	ret = 0;
out:
	free(in);
	rdt_policy_free(pol);
	hv_collector_free(c);
	hv_backend_close(b);
	return ret;
}

/* ---------- info / alloc ---------- */

static void print_caps(const hv_rc_info *in)
{
	const hv_rc_cat *cats[] = {&in->l3, &in->l3code, &in->l3data, &in->l2};
	const char *names[] = {"L3", "L3CODE", "L3DATA", "L2"};
	char desc[160];

	describe(in, desc, sizeof(desc));
	printf("resctrl: %s (vendor %s)\n", desc,
	       in->vendor == HV_RC_VENDOR_AMD     ? "amd"
	       : in->vendor == HV_RC_VENDOR_INTEL ? "intel"
	                                          : "unknown");
	for (int i = 0; i < 4; i++)
		if (cats[i]->present)
			printf("%s: cbm_mask %llx (%u ways), min_cbm_bits %u, "
			       "shareable %llx, %s masks, %u CLOSIDs\n",
			       names[i], (unsigned long long)cats[i]->cbm_mask,
			       cats[i]->cbm_len, cats[i]->min_cbm_bits,
			       (unsigned long long)cats[i]->shareable_bits,
			       cats[i]->sparse ? "sparse" : "contiguous",
			       cats[i]->num_closids);
	if (in->mb.present)
		printf("MB: %u..%u %s, granularity %u, %s, %u CLOSIDs\n",
		       in->mb.min_bw, in->mb.max_bw,
		       in->mb.unit == HV_RC_MB_AMD8   ? "x 1/8 GB/s"
		       : in->mb.unit == HV_RC_MB_MBPS ? "MiB/s"
		                                      : "%",
		       in->mb.bw_gran,
		       in->mb.delay_linear ? "linear" : "non-linear",
		       in->mb.num_closids);
	if (in->mon)
		printf("monitoring: %s%s%s, %u RMIDs\n",
		       in->mon_features & HV_RC_MON_OCC ? "llc_occupancy " : "",
		       in->mon_features & HV_RC_MON_TOTAL ? "mbm_total_bytes "
		                                          : "",
		       in->mon_features & HV_RC_MON_LOCAL ? "mbm_local_bytes"
		                                          : "",
		       in->num_rmids);
}

static int cmd_info(hv_resctrl *rc, const opts *o)
{
	const hv_rc_info *in = hv_rc_info_get(rc);
	char why[64];
	int hw = hv_pmu_hw_available(why, sizeof(why));

	if (o->json) {
		cJSON *j = cJSON_CreateObject();
		char *t;
		cJSON_AddStringToObject(j, "vendor",
		                        in->vendor == HV_RC_VENDOR_AMD ? "amd"
		                        : in->vendor == HV_RC_VENDOR_INTEL
		                            ? "intel"
		                            : "unknown");
		cJSON_AddBoolToObject(j, "cdp", in->cdp);
		cJSON_AddNumberToObject(j, "num_closids", in->num_closids);
		cJSON_AddNumberToObject(j, "num_rmids", in->num_rmids);
		cJSON_AddNumberToObject(j, "l3_domains", in->nr_l3);
		if (in->l3.present) {
			char m[24];
			snprintf(m, sizeof(m), "%llx",
			         (unsigned long long)in->l3.cbm_mask);
			cJSON_AddStringToObject(j, "l3_cbm_mask", m);
			cJSON_AddNumberToObject(j, "l3_min_cbm_bits",
			                        in->l3.min_cbm_bits);
			cJSON_AddBoolToObject(j, "l3_sparse", in->l3.sparse);
		}
		cJSON_AddBoolToObject(j, "mba", in->mb.present);
		if (in->mb.present) {
			cJSON_AddNumberToObject(j, "mb_min", in->mb.min_bw);
			cJSON_AddNumberToObject(j, "mb_max", in->mb.max_bw);
			cJSON_AddNumberToObject(j, "mb_gran", in->mb.bw_gran);
		}
		cJSON_AddBoolToObject(j, "hw_counters", hw);
		cJSON_AddStringToObject(j, "hw_note", why);
		t = cJSON_PrintUnformatted(j);
		cJSON_Delete(j);
		if (!t)
			return 1;
		puts(t);
		free(t);
		return 0;
	}
	print_caps(in);
	printf("hardware counters: %s\n", hw ? "yes" : why);
	return 0;
}

static int cmd_alloc_show(hv_resctrl *rc, const opts *o, const hv_env *env)
{
	hv_backend *b = NULL;
	hv_snap *s = NULL;
	classmap cm;
	hv_err e = {0};
	cJSON *j = NULL, *arr = NULL;
	int ret = 1;

	if (classmap_load(rc, &cm, &e)) {
		fprintf(stderr, "hv-rdt: %s\n", e.msg);
		goto out;
	}
	/* domains are optional here: allocation shows without a backend */
	if (!open_backend(o, env, 0, &b, NULL))
		(void)hv_backend_sample(b, &s, NULL);
	if (o->json) {
		j = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(j, "classes");
	} else {
		print_caps(hv_rc_info_get(rc));
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
			                        cls_show(cm.name[i]));
			cJSON_AddStringToObject(c, "schemata", text);
			cJSON_AddNumberToObject(c, "tasks",
			                        (double)cm.ntids[i]);
			dl = cJSON_AddArrayToObject(c, "domains");
		}
		for (size_t k = 0; s && k < hv_snap_ndom(s); k++) {
			const hv_dom *d = hv_snap_dom(s, k);
			const char *dc = classmap_of(&cm, (int32_t)d->id);
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
			printf("%-16s %-40s %s\n", cls_show(cm.name[i]), text,
			       doms[0] ? doms : "-");
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
	classmap_free(&cm);
	hv_snap_unref(s);
	hv_backend_close(b);
	return ret;
}

static int undo_path(const hv_env *env, char *p, size_t len)
{
	return hv_run_path(env->run, HV_RUN_RDT_UNDO, p, len);
}

/* Keep the undo of what was just done for "alloc undo", after what is
 * kept already: libhv's atomic replace (fsynced, the directory too). */
static int undo_keep(const hv_env *env, hv_rc_undo *u)
{
	char p[PATH_MAX], *text = NULL, *old = NULL, *all = NULL;
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
static void roll_back(hv_resctrl *rc, hv_rc_undo *u)
{
	hv_err e = {0};

	if (hv_rc_undo_apply(rc, u, &e))
		fprintf(stderr, "hv-rdt: undo: %s\n", e.msg);
}

static int cmd_alloc_undo(hv_resctrl *rc, const hv_env *env)
{
	char p[PATH_MAX], *text = NULL;
	hv_rc_undo *u = NULL;
	hv_err e = {0};
	int ret = 1;

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
	if (hv_rc_undo_apply(rc, u, &e)) {
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

static int cmd_alloc_set(hv_resctrl *rc, const hv_env *env, int argc,
                         char **argv)
{
	char text[4096] = "";
	size_t off = 0;
	hv_rc_schemata want;
	hv_rc_undo *u = hv_rc_undo_new();
	hv_err e = {0};
	int ret = 1;

	if (argc < 2) {
		fprintf(stderr, "hv-rdt: alloc set CLASS LINE...\n");
		goto out;
	}
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
	    hv_rc_class_set(rc, cls_arg(argv[0]), &want, u, &e)) {
		fprintf(stderr, "hv-rdt: %s\n", e.msg);
		goto out;
	}
	if (undo_keep(env, u)) {
		roll_back(rc, u);
		goto out;
	}
	printf("%s: set\n", argv[0]);
	ret = 0;
out:
	hv_rc_undo_free(u);
	return ret;
}

static int cmd_alloc_assign(hv_resctrl *rc, const opts *o, const hv_env *env,
                            int argc, char **argv)
{
	hv_backend *b = NULL;
	hv_snap *s = NULL;
	hv_rc_undo *u = hv_rc_undo_new();
	hv_err e = {0};
	int ret = 1;

	if (argc < 2) {
		fprintf(stderr, "hv-rdt: alloc assign CLASS ID...\n");
		goto out;
	}
	if (open_backend(o, env, 0, &b, &e) || hv_backend_sample(b, &s, &e)) {
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
		if (hv_rc_assign_pid(rc, cls_arg(argv[0]), (uint32_t)id,
		                     (pid_t)id, u, &e)) {
			fprintf(stderr, "hv-rdt: domain %s: %s\n", argv[i],
			        e.msg);
			goto fail;
		}
		printf("%s -> %s\n", argv[i], argv[0]);
	}
	if (undo_keep(env, u))
		goto fail;
	ret = 0;
	goto out;
fail:
	roll_back(rc, u); /* all or nothing */
out:
	hv_rc_undo_free(u);
	hv_snap_unref(s);
	hv_backend_close(b);
	return ret;
}

static int cmd_alloc_reset(hv_resctrl *rc, const hv_env *env, int argc,
                           char **argv)
{
	char cls[MAX_CLASSES][HV_RC_NAME_LEN];
	size_t nc = 0;
	hv_rc_undo *u = hv_rc_undo_new();
	hv_err e = {0};
	int ret = 1;

	if (argc == 0) {
		if (hv_rc_classes(rc, cls, MAX_CLASSES, &nc, &e)) {
			fprintf(stderr, "hv-rdt: %s\n", e.msg);
			goto out;
		}
	} else {
		for (int i = 0; i < argc && nc < MAX_CLASSES; i++)
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
	if (undo_keep(env, u))
		goto fail;
	ret = 0;
	goto out;
fail:
	roll_back(rc, u);
out:
	hv_rc_undo_free(u);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"iterations", required_argument, NULL, 'i'},
	    {"delay", required_argument, NULL, 'd'},
	    {"json", no_argument, NULL, 'j'},
	    {"backend", required_argument, NULL, 'b'},
	    {"events", required_argument, NULL, 'e'},
	    {"no-start", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	opts o = {.iters = -1, .delay = 1.0};
	hv_env env;
	hv_err e = {0};
	hv_resctrl *rc = NULL;
	const char *cmd, *sub;
	int c, ret = 1;

	while ((c = getopt_long(argc, argv, "+i:d:jb:e:nhV", lo, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'i':
			o.iters = strtol(optarg, &end, 10);
			if (*end || o.iters < 1) {
				fprintf(stderr, "hv-rdt: bad -i %s\n", optarg);
				return 2;
			}
			break;
		case 'd':
			o.delay = strtod(optarg, &end);
			if (*end || !(o.delay >= 0.1) || o.delay > 3600) {
				fprintf(stderr,
				        "hv-rdt: bad -d %s (0.1..3600)\n",
				        optarg);
				return 2;
			}
			break;
		case 'j':
			o.json = 1;
			break;
		case 'b':
			o.backend = optarg;
			break;
		case 'e':
			o.events = optarg;
			break;
		case 'n':
			o.no_start = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("hv-rdt 0.1.0\n");
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	hv_env_raise_nofile(); /* room for the kvm backend's fd cache */
	if (hv_env_init(&env, &e)) {
		fprintf(stderr, "hv-rdt: %s\n", e.msg);
		return 1;
	}
	cmd = optind < argc ? argv[optind++] : "mon";
	sub = optind < argc ? argv[optind] : NULL;
	if (!strcmp(cmd, "mon") && !sub)
		return cmd_mon(&o, &env);
	if (!strcmp(cmd, "watch"))
		return cmd_watch(&o, &env, argc - optind, argv + optind);
	if (strcmp(cmd, "mon") && strcmp(cmd, "info") && strcmp(cmd, "alloc")) {
		fprintf(stderr, "hv-rdt: unknown command %s\n", cmd);
		fputs(usage_text, stderr);
		return 2;
	}
	if (hv_rc_open(&env, &rc, &e)) {
		fprintf(stderr, "hv-rdt: %s\n", e.msg);
		if (!strcmp(cmd, "info")) {
			char why[64];
			int hw = hv_pmu_hw_available(why, sizeof(why));
			printf("resctrl: not mounted\nhardware counters: %s\n",
			       hw ? "yes" : why);
		}
		return 1;
	}
	if (!strcmp(cmd, "info")) {
		ret = cmd_info(rc, &o);
	} else if (!strcmp(cmd, "mon")) {
		if (sub && !strcmp(sub, "stop"))
			ret = cmd_mon_stop(rc, argc - optind - 1,
			                   argv + optind + 1);
		else
			fprintf(stderr, "hv-rdt: unknown mon command %s\n",
			        sub);
	} else if (!sub) {
		fprintf(stderr, "hv-rdt: alloc show|set|assign|reset|undo\n");
	} else {
		int n = argc - optind - 1;
		char **av = argv + optind + 1;
		if (!strcmp(sub, "show"))
			ret = cmd_alloc_show(rc, &o, &env);
		else if (!strcmp(sub, "set"))
			ret = cmd_alloc_set(rc, &env, n, av);
		else if (!strcmp(sub, "assign"))
			ret = cmd_alloc_assign(rc, &o, &env, n, av);
		else if (!strcmp(sub, "reset"))
			ret = cmd_alloc_reset(rc, &env, n, av);
		else if (!strcmp(sub, "undo"))
			ret = cmd_alloc_undo(rc, &env);
		else
			fprintf(stderr, "hv-rdt: unknown alloc command %s\n",
			        sub);
	}
	hv_rc_close(rc);
	return ret;
}
