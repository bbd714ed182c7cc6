/* SPDX-License-Identifier: MIT */
/* hvctl ras | mem offline ADDR | mem status ADDR
 *
 * Machine-check counts are counted by the process that opened the source,
 * from then on: a one-shot hvctl would see only its own second. So `ras`
 * shows hv-powerd's counts (its state.json, since it started) when it runs,
 * else what this hvctl counts over --interval; EDAC counts (the kernel's
 * own, cumulative) and page states come from hvctl's sample; actions are
 * hv-powerd's hwerr journal records. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hv/ras.h"
#include "hvctl.h"

#define JOURNAL_MAX (4u << 20)

static char *slurp(const char *dir, const char *name, size_t max)
{
	char path[PATH_MAX];
	char *buf;
	size_t n;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return NULL;
	if (!(f = fopen(path, "r")))
		return NULL;
	buf = malloc(max + 1);
	n = buf ? fread(buf, 1, max, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

/* hv-powerd's "ras" object from its state file, or NULL. */
static cJSON *daemon_ras(const hvctl_ctx *c, cJSON **root)
{
	char *s = slurp(c->env.run, "state.json", 4u << 20);
	cJSON *r;

	*root = s ? cJSON_Parse(s) : NULL;
	free(s);
	r = cJSON_GetObjectItemCaseSensitive(*root, "ras");
	return cJSON_IsObject(r) ? r : NULL;
}

/* hwerr journal records (sets, failures, notes), oldest first. */
static cJSON *actions(const hvctl_ctx *c)
{
	char *s = slurp(c->env.run, "journal.jsonl", JOURNAL_MAX), *line, *sv;
	cJSON *arr = cJSON_CreateArray();

	for (line = s ? strtok_r(s, "\n", &sv) : NULL; line && arr;
	     line = strtok_r(NULL, "\n", &sv)) {
		cJSON *r = cJSON_Parse(line);
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(r, "policy");
		const cJSON *dry =
		    cJSON_GetObjectItemCaseSensitive(r, "dry_run");
		if (!cJSON_IsString(p) || strcmp(p->valuestring, "hwerr") ||
		    cJSON_IsTrue(dry)) {
			cJSON_Delete(r);
			continue;
		}
		cJSON_AddItemToArray(arr, r);
	}
	free(s);
	return arr;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static void num_cell(char *b, size_t n, const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (cJSON_IsNumber(v))
		snprintf(b, n, "%.0f", v->valuedouble);
	else
		snprintf(b, n, "-");
}

/* Own counts (no hv-powerd): the same shape as its "ras" object. */
static cJSON *own_ras(const hv_host *h)
{
	cJSON *o = cJSON_CreateObject(), *cpus, *pages;
	bool ok = false;

	for (uint32_t i = 0; i < h->nr_pcpu; i++)
		ok |= hv_ok(h->pcpu[i].ce_count);
	cJSON_AddBoolToObject(o, "ok", ok);
	cJSON_AddStringToObject(o, "note", h->ras_note);
	cpus = cJSON_AddArrayToObject(o, "cpus");
	for (uint32_t i = 0; ok && i < h->nr_pcpu; i++) {
		const hv_pcpu *p = &h->pcpu[i];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "id", p->id);
		cJSON_AddItemToObject(e, "ce", hvctl_ju64(p->ce_count));
		cJSON_AddItemToObject(e, "ue", hvctl_ju64(p->ue_count));
		cJSON_AddItemToObject(e, "last_bank",
		                      p->last_bank >= 0
		                          ? cJSON_CreateNumber(p->last_bank)
		                          : cJSON_CreateNull());
		cJSON_AddItemToArray(cpus, e);
	}
	pages = cJSON_AddArrayToObject(o, "pages");
	for (uint32_t i = 0; i < h->nr_page; i++) {
		char hex[32];
		cJSON *e = cJSON_CreateObject();
		snprintf(hex, sizeof(hex), "0x%" PRIx64, h->page[i].addr);
		cJSON_AddStringToObject(e, "addr", hex);
		cJSON_AddNumberToObject(e, "ce", (double)h->page[i].ce);
		cJSON_AddNumberToObject(e, "ue", (double)h->page[i].ue);
		cJSON_AddStringToObject(
		    e, "state",
		    hv_page_state_str((enum hv_page_state)h->page[i].state));
		cJSON_AddStringToObject(e, "reason", h->page[i].reason);
		cJSON_AddItemToArray(pages, e);
	}
	return o;
}

static cJSON *dimms_json(const hv_host *h)
{
	cJSON *arr = cJSON_CreateArray();

	for (uint32_t i = 0; i < h->nr_dimm; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "name", h->dimm[i].name);
		cJSON_AddStringToObject(e, "label", h->dimm[i].label);
		cJSON_AddItemToObject(e, "ce", hvctl_ju64(h->dimm[i].ce));
		cJSON_AddItemToObject(e, "ue", hvctl_ju64(h->dimm[i].ue));
		cJSON_AddItemToArray(arr, e);
	}
	return arr;
}

static void print_text(const cJSON *ras, const char *src, const hv_host *h,
                       const cJSON *acts)
{
	const cJSON *e;
	char b1[24], b2[24], b3[24];

	printf("machine checks (%s)%s%s\n", src,
	       jstr(ras, "note")[0] ? ": " : "", jstr(ras, "note"));
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ras, "ok"))) {
		printf("%-4s %-6s %8s %8s %9s\n", "CPU", "ONLINE", "CE", "UE",
		       "LAST-BANK");
		cJSON_ArrayForEach(
		    e, cJSON_GetObjectItemCaseSensitive(ras, "cpus"))
		{
			const cJSON *id =
			    cJSON_GetObjectItemCaseSensitive(e, "id");
			int on = -1;
			for (uint32_t i = 0;
			     cJSON_IsNumber(id) && i < h->nr_pcpu; i++)
				if (h->pcpu[i].id == (uint32_t)id->valuedouble)
					on = h->pcpu[i].online < 0
					         ? -1
					         : h->pcpu[i].online != 0;
			num_cell(b1, sizeof(b1), e, "ce");
			num_cell(b2, sizeof(b2), e, "ue");
			num_cell(b3, sizeof(b3), e, "last_bank");
			printf("%-4.0f %-6s %8s %8s %9s\n",
			       cJSON_IsNumber(id) ? id->valuedouble : -1,
			       on < 0 ? "?"
			       : on   ? "yes"
			              : "no",
			       b1, b2, b3);
		}
	}
	printf(
	    "pages with errors:%s\n",
	    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ras, "pages"))
	        ? ""
	        : " none");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(ras, "pages"))
	{
		num_cell(b1, sizeof(b1), e, "ce");
		num_cell(b2, sizeof(b2), e, "ue");
		printf("  %-18s ce %-6s ue %-6s %s%s%s\n", jstr(e, "addr"), b1,
		       b2, jstr(e, "state"), jstr(e, "reason")[0] ? ": " : "",
		       jstr(e, "reason"));
	}
	if (h->nr_dimm) {
		printf("EDAC memory (kernel counts):\n");
		for (uint32_t i = 0; i < h->nr_dimm; i++)
			printf("  %-14s %-32s ce %-8s ue %s\n", h->dimm[i].name,
			       h->dimm[i].label[0] ? h->dimm[i].label : "-",
			       hvctl_u64s(b1, sizeof(b1), h->dimm[i].ce, 1,
			                  "%.0f"),
			       hvctl_u64s(b2, sizeof(b2), h->dimm[i].ue, 1,
			                  "%.0f"));
	}
	printf("hv-powerd hwerr actions:%s\n",
	       cJSON_GetArraySize(acts) ? "" : " none");
	cJSON_ArrayForEach(e, acts)
	{
		printf(
		    "  %-7s %-24s %s%s\n", jstr(e, "event"), jstr(e, "knob"),
		    jstr(e, "reason"),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "one_way"))
		        ? " [one way]"
		        : "");
	}
}

int hvctl_cmd_ras(hvctl_ctx *c, int argc, char **argv)
{
	hv_snap *a = NULL, *b = NULL;
	hv_rates *r = NULL;
	cJSON *root = NULL, *own = NULL, *acts = NULL;
	const cJSON *ras;
	char src[96];
	int rc;
	(void)argv;

	if (argc)
		return hvctl_bad_usage(c);
	if ((rc = hvctl_take_two(c, c->interval >= 0 ? c->interval : 1, &a, &b,
	                         &r)))
		goto out;
	const hv_host *h = hv_snap_host(b);
	ras = daemon_ras(c, &root);
	if (ras) {
		snprintf(src, sizeof(src),
		         "hv-powerd's counts since it started");
	} else {
		own = own_ras(h);
		ras = own;
		snprintf(src, sizeof(src),
		         "counted by hvctl over %.1f s: hv-powerd not running",
		         hv_rates_dt(r));
	}
	acts = actions(c);
	if (c->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "source", src);
		cJSON_AddItemReferenceToObject(o, "ras", (cJSON *)ras);
		cJSON_AddItemToObject(o, "dimms", dimms_json(h));
		cJSON_AddItemToObject(o, "actions", acts);
		acts = NULL;
		rc = hvctl_print_json(o);
		goto out;
	}
	print_text(ras, src, h, acts);
out:
	cJSON_Delete(acts);
	cJSON_Delete(own);
	cJSON_Delete(root);
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	return rc;
}

/* ADDR argument -> the knob for its page; usage errors said here. */
static int mem_arg(hvctl_ctx *c, int argc, char **argv, char *knob, size_t len,
                   uint64_t *addr)
{
	char k[HV_KNOB_LEN];
	hv_err err = {0};

	if (argc != 1)
		return hvctl_bad_usage(c);
	snprintf(k, sizeof(k), "mem/%s/offline", argv[0]);
	if (hv_ras_mem_knob(k, addr, &err)) {
		hvctl_fail("bad physical address \"%s\"", argv[0]);
		return HVCTL_USAGE;
	}
	snprintf(knob, len, "mem/0x%" PRIx64 "/offline", *addr);
	return 0;
}

int hvctl_cmd_mem_offline(hvctl_ctx *c, int argc, char **argv)
{
	char knob[HV_KNOB_LEN];
	hv_change chg;
	hv_err err = {0};
	uint64_t addr = 0;
	int rc;

	if ((rc = mem_arg(c, argc, argv, knob, sizeof(knob), &addr)))
		return rc;
	if (hv_knob_set(c->b, knob, "1", &chg, &err))
		return hvctl_fail("%s", err.msg);
	if (c->json) {
		cJSON *o = cJSON_CreateObject();
		char hex[32];
		snprintf(hex, sizeof(hex), "0x%" PRIx64, addr);
		cJSON_AddStringToObject(o, "page", hex);
		cJSON_AddStringToObject(o, "state", "soft-offlined");
		cJSON_AddBoolToObject(o, "one_way", 1);
		return hvctl_print_json(o);
	}
	printf("page 0x%" PRIx64 ": soft-offlined (this cannot be undone)\n",
	       addr);
	return 0;
}

int hvctl_cmd_mem_status(hvctl_ctx *c, int argc, char **argv)
{
	char knob[HV_KNOB_LEN], val[16];
	hv_err err = {0};
	uint64_t addr = 0;
	int rc;

	if ((rc = mem_arg(c, argc, argv, knob, sizeof(knob), &addr)))
		return rc;
	if (hv_knob_get(c->b, knob, val, sizeof(val), &err))
		return hvctl_fail("%s", err.msg);
	if (c->json) {
		cJSON *o = cJSON_CreateObject();
		char hex[32];
		snprintf(hex, sizeof(hex), "0x%" PRIx64, addr);
		cJSON_AddStringToObject(o, "page", hex);
		cJSON_AddBoolToObject(o, "offline", !strcmp(val, "1"));
		return hvctl_print_json(o);
	}
	printf("page 0x%" PRIx64 ": %s\n", addr,
	       !strcmp(val, "1") ? "offline (poisoned: the kernel never uses "
	                           "it again)"
	                         : "online");
	return 0;
}
