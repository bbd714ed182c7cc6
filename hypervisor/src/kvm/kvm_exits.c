/* SPDX-License-Identifier: MIT */
/* KVM's own statistics for a VM (the figures kvm_stat shows), in this
 * order: the binary stats fds (kvm_statsfd.c: the VM's and each vCPU's,
 * summed) when the VMM holds them; QEMU's QMP query-stats (QEMU reads the
 * same stats itself); debugfs kvm/PID-FD/, one text file per counter
 * summed over the VM's vCPUs. The names differ by architecture; each
 * hv_dom.kvm_* counter is the sum of the names of its kind that exist
 * (hv_kvm_xk_names, see hv/sample.h). With none (debugfs not mounted or
 * locked down, not root) the counters stay "unsupported"/"unavailable". */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/sysio.h"
#include "kvm/kvm_be.h"

/* Find kvm/PID-FD for the guest's pid; "" when there is none. A VMM with
 * two VMs (rare) gets the first. */
void hv_kvm_exits_find(struct kvm *k, struct kguest *g)
{
	char path[PATH_MAX], pre[16];
	DIR *d;
	struct dirent *de;
	size_t pl;

	g->kvmdbg[0] = '\0';
	if (hv_env_path(&k->env, HV_ROOT_SYS, path, sizeof(path),
	                "kernel/debug/kvm"))
		return;
	d = opendir(path);
	if (!d)
		return;
	pl = (size_t)snprintf(pre, sizeof(pre), "%u-", g->pid);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, pre, pl) && de->d_name[pl] >= '0' &&
		    de->d_name[pl] <= '9') {
			hv_kvm_copy_str(g->kvmdbg, sizeof(g->kvmdbg),
			                de->d_name);
			break;
		}
	closedir(d);
}

/* Sum of the named files of the VM's directory: unsupported when none
 * exists (the counter is not this architecture's), error when one is
 * unreadable. */
static hv_u64 sum(const struct kvm *k, const struct kguest *g,
                  const char *const *names)
{
	hv_u64 r = hv_na(HV_NA_UNSUPPORTED);

	for (; *names; names++) {
		char path[PATH_MAX];
		uint64_t v;
		int rc;

		if (hv_env_path(&k->env, HV_ROOT_SYS, path, sizeof(path),
		                "kernel/debug/kvm/%s/%s", g->kvmdbg, *names))
			return hv_na(HV_NA_ERROR);
		rc = hv_read_u64(path, &v, NULL);
		if (rc == -ENOENT)
			continue;
		if (rc)
			return hv_na(rc == -EACCES || rc == -EPERM
			                 ? HV_NA_UNAVAILABLE
			                 : HV_NA_ERROR);
		r = hv_val((hv_ok(r) ? r.v : 0) + v);
	}
	return r;
}

/* The kinds from the stats fds: the sum over the VM's and every vCPU's
 * (as debugfs sums its vCPUs); a kind no block names is unsupported. */
static void fill_stats(const struct kguest *g, hv_u64 *out[HV_KVM_XK_N])
{
	struct hv_kvm_xsum t = {0};

	for (uint32_t i = 0; i < g->nks; i++)
		for (int x = 0; x < HV_KVM_XK_N; x++) {
			t.v[x] += g->ks[i].x.v[x];
			t.has[x] |= g->ks[i].x.has[x];
		}
	for (int x = 0; x < HV_KVM_XK_N; x++)
		*out[x] = t.has[x] ? hv_val(t.v[x]) : hv_na(HV_NA_UNSUPPORTED);
}

/* The domain's counter of each kind. */
static void dom_out(hv_dom *d, hv_u64 *out[HV_KVM_XK_N])
{
	hv_u64 *o[HV_KVM_XK_N] = {
	    [HV_KVM_XK_ALL] = &d->kvm_exits,
	    [HV_KVM_XK_MMIO] = &d->kvm_mmio_exits,
	    [HV_KVM_XK_IO] = &d->kvm_io_exits,
	    [HV_KVM_XK_WAIT] = &d->kvm_wait_exits,
	    [HV_KVM_XK_HVC] = &d->kvm_hvc_exits,
	    [HV_KVM_XK_IRQ] = &d->kvm_irq_exits,
	    [HV_KVM_XK_SIGNAL] = &d->kvm_signal_exits,
	};

	memcpy(out, o, sizeof(o));
}

/* Sources in order: the binary stats fds, then debugfs text files (QEMU's
 * query-stats, when answered, replaces debugfs later: hv_kvm_exits_qmp). */
void hv_kvm_exits_fill(const struct kvm *k, const struct kguest *g, hv_dom *d)
{
	hv_u64 *out[HV_KVM_XK_N];

	dom_out(d, out);
	if (g->ks_why[0])
		hv_kvm_note(d, g->ks_why);
	/* Over fewer vCPUs than run, the sum would read as fewer exits, and
	 * jump when the rest come: the next source then. */
	if (g->ks_ok && g->ks_vcpus >= g->nvcpu) {
		fill_stats(g, out);
		return;
	}
	if (!g->kvmdbg[0])
		return; /* stays unsupported */
	for (int x = 0; x < HV_KVM_XK_N; x++)
		*out[x] = sum(k, g, hv_kvm_xk_names[x]);
}

/* The vCPU record of stats fd s, NULL for none. KVM names a vCPU by its
 * vcpu_id, on x86 the APIC ID: with QEMU's -smp 6,sockets=2 that is
 * 0,1,2,4,5,6 while the records go by cpu-index 0..5. Both grow with the
 * index, so when every record has a stats fd the n-th smallest vcpu_id is
 * the n-th record (d->vcpu is sorted by id); else ids are taken as they
 * are (arm64's vcpu_id is the index). */
static hv_vcpu *vcpu_of(const struct kguest *g, const struct kstat *s,
                        hv_dom *d)
{
	uint32_t rank = 0;

	if (g->ks_vcpus == d->nr_vcpu) {
		for (uint32_t i = 0; i < g->nks; i++)
			rank += g->ks[i].vcpu >= 0 && g->ks[i].vcpu < s->vcpu;
		return rank < d->nr_vcpu ? &d->vcpu[rank] : NULL;
	}
	for (uint32_t j = 0; j < d->nr_vcpu; j++)
		if (d->vcpu[j].id == (uint32_t)s->vcpu)
			return &d->vcpu[j];
	return NULL;
}

void hv_kvm_exits_vcpus(const struct kguest *g, hv_dom *d)
{
	if (!g->ks_ok)
		return;
	for (uint32_t i = 0; i < g->nks; i++) {
		const struct kstat *s = &g->ks[i];
		hv_vcpu *v = s->vcpu >= 0 ? vcpu_of(g, s, d) : NULL;

		if (!v)
			continue;
		if (s->x.has[HV_KVM_XK_ALL])
			v->kvm_exits = hv_val(s->x.v[HV_KVM_XK_ALL]);
		if (s->x.has[HV_KVM_XK_WAIT])
			v->kvm_wait_exits = hv_val(s->x.v[HV_KVM_XK_WAIT]);
	}
}

/* The kind of a kvm_stat name, -1 for none. */
static int kind_of(const char *name)
{
	for (int k = 0; k < HV_KVM_XK_N; k++)
		for (const char *const *n = hv_kvm_xk_names[k]; *n; n++)
			if (!strcmp(*n, name))
				return k;
	return -1;
}

/* cpu-index of the vCPU at qom-path in a query-cpus-fast reply, -1. */
static int cpu_index(const cJSON *cpus, const char *path)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, cpus)
	{
		const cJSON *p =
		    cJSON_GetObjectItemCaseSensitive(c, "qom-path");
		const cJSON *i =
		    cJSON_GetObjectItemCaseSensitive(c, "cpu-index");
		if (cJSON_IsString(p) && cJSON_IsNumber(i) &&
		    !strcmp(p->valuestring, path))
			return i->valueint;
	}
	return -1;
}

/* One vCPU's "stats" list into *x: numbers only (a histogram is a list). */
static void qmp_one(const cJSON *stats, struct hv_kvm_xsum *x)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, stats)
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "name");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "value");
		int k = cJSON_IsString(n) ? kind_of(n->valuestring) : -1;
		/* a double past u64 would not convert (undefined) */
		if (k < 0 || !cJSON_IsNumber(v) || v->valuedouble < 0 ||
		    v->valuedouble >= 18446744073709551616.0)
			continue;
		x->v[k] += (uint64_t)v->valuedouble;
		x->has[k] = true;
	}
}

int hv_kvm_qmp_stats(const void *stats, const void *cpus,
                     struct hv_kvm_xsum *vm, struct hv_kvm_xsum *vcpu,
                     size_t cap)
{
	const cJSON *r;
	int n = 0;

	cJSON_ArrayForEach(r, (const cJSON *)stats)
	{
		const cJSON *pv =
		    cJSON_GetObjectItemCaseSensitive(r, "provider");
		const cJSON *qp =
		    cJSON_GetObjectItemCaseSensitive(r, "qom-path");
		struct hv_kvm_xsum x = {0};
		int i;

		if (!cJSON_IsString(pv) || strcmp(pv->valuestring, "kvm"))
			continue;
		qmp_one(cJSON_GetObjectItemCaseSensitive(r, "stats"), &x);
		for (int k = 0; k < HV_KVM_XK_N; k++) {
			vm->v[k] += x.v[k];
			vm->has[k] |= x.has[k];
		}
		i = cJSON_IsString(qp) && cpus
		        ? cpu_index((const cJSON *)cpus, qp->valuestring)
		        : -1;
		if (i >= 0 && (size_t)i < cap)
			vcpu[i] = x;
		n++;
	}
	return n;
}

static void put_sum(const struct hv_kvm_xsum *x, hv_u64 *out[HV_KVM_XK_N])
{
	for (int k = 0; k < HV_KVM_XK_N; k++)
		*out[k] =
		    x->has[k] ? hv_val(x->v[k]) : hv_na(HV_NA_UNSUPPORTED);
}

/* Per-vCPU figures from QMP results indexed by vCPU id. */
static void put_vcpus(const struct hv_kvm_xsum *vc, size_t cap, hv_dom *d)
{
	for (uint32_t j = 0; j < d->nr_vcpu; j++) {
		hv_vcpu *v = &d->vcpu[j];
		if (v->id >= cap)
			continue;
		if (vc[v->id].has[HV_KVM_XK_ALL])
			v->kvm_exits = hv_val(vc[v->id].v[HV_KVM_XK_ALL]);
		if (vc[v->id].has[HV_KVM_XK_WAIT])
			v->kvm_wait_exits = hv_val(vc[v->id].v[HV_KVM_XK_WAIT]);
	}
}

bool hv_kvm_exits_want_qmp(const struct kvm *k, const struct kguest *g)
{
	return !g->nks && k->seq >= g->qstats_at;
}

int hv_kvm_exits_qmp(const struct kvm *k, struct kguest *g, hv_dom *d)
{
	struct hv_kvm_xsum vm = {0}, *vc;
	hv_u64 *out[HV_KVM_XK_N];
	const void *st, *cpus = NULL;
	size_t cap = 1;
	enum hv_kvm_qmp_res r = hv_kvm_qmp_result(g->qmp, HV_QMP_STATS, &st);

	if (g->ks_ok || r == HV_QMP_R_NONE)
		return 0;
	if (r == HV_QMP_R_ERROR) /* QEMU < 7.1: ask again later */
		goto later;
	for (uint32_t j = 0; j < d->nr_vcpu; j++)
		if (d->vcpu[j].id + 1 > cap)
			cap = d->vcpu[j].id + 1;
	vc = calloc(cap, sizeof(*vc));
	if (!vc)
		return -ENOMEM;
	if (hv_kvm_qmp_result(g->qmp, HV_QMP_CPUS, &cpus) != HV_QMP_R_OK)
		cpus = NULL;
	if (hv_kvm_qmp_stats(st, cpus, &vm, vc, cap) > 0) {
		dom_out(d, out);
		put_sum(&vm, out);
		put_vcpus(vc, cap, d);
		free(vc);
		return 0;
	}
	free(vc);
later: /* no KVM statistics (TCG, too old a QEMU) */
	g->qstats_at = k->seq + RESCAN_PERIOD + g->pid % RESCAN_PERIOD;
	return 0;
}
