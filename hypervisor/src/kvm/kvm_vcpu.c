/* SPDX-License-Identifier: MIT */
/* kvm backend vCPUs: threads named "CPU n/..." (or named by QMP
 * query-cpus-fast), their stat and schedstat each sample and their
 * affinity (status) in turn. */
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

void hv_kvm_vcpu_close(struct kvm *k, struct kvcpu *v)
{
	hv_kvm_fd_close(k, &v->fd_stat);
	hv_kvm_fd_close(k, &v->fd_sched);
	hv_kvm_fd_close(k, &v->fd_status);
	free(v->aff);
	v->aff = NULL;
}

static int cmp_vcpu(const void *a, const void *b)
{
	const struct kvcpu *x = a, *y = b;

	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void set_vcpus(struct kvm *k, struct kguest *g, struct kvcpu *nv,
                      uint32_t n)
{
	/* Keep open fds of threads we already knew. */
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t j = 0; j < g->nvcpu; j++) {
			if (g->vcpu[j].tid == nv[i].tid &&
			    g->vcpu[j].tid != 0) {
				int idx = nv[i].idx;
				nv[i] = g->vcpu[j];
				nv[i].idx = idx;
				g->vcpu[j].fd_stat = g->vcpu[j].fd_sched =
				    g->vcpu[j].fd_status = -1;
				g->vcpu[j].aff = NULL;
				g->vcpu[j].tid = 0;
				break;
			}
		}
	}
	for (uint32_t j = 0; j < g->nvcpu; j++)
		hv_kvm_vcpu_close(k, &g->vcpu[j]);
	free(g->vcpu);
	qsort(nv, n, sizeof(*nv), cmp_vcpu);
	g->vcpu = nv;
	g->nvcpu = n;
}

static struct kvcpu vcpu_init(int idx, int32_t tid)
{
	struct kvcpu v = {.idx = idx, .tid = tid};

	v.fd_stat = v.fd_sched = v.fd_status = -1;
	v.pcpu = -1;
	return v;
}

void hv_kvm_scan_threads(struct kvm *k, struct kguest *g)
{
	int tfd = openat(g->dfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	struct kvcpu *nv = NULL;
	uint32_t n = 0, cap = 0;

	g->threads_at = k->seq + RESCAN_PERIOD + g->pid % RESCAN_PERIOD;
	if (tfd < 0)
		return;
	d = fdopendir(tfd);
	if (!d) {
		close(tfd);
		return;
	}
	while ((de = readdir(d))) {
		char rel[64], comm[64];
		unsigned long tid;
		char *end;
		int idx;
		ssize_t r;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		tid = strtoul(de->d_name, &end, 10);
		if (*end || tid > INT32_MAX)
			continue;
		snprintf(rel, sizeof(rel), "%s/comm", de->d_name);
		r = hv_kvm_read_once(tfd, rel, comm, sizeof(comm));
		if (r <= 0)
			continue;
		comm[strcspn(comm, "\n")] = '\0';
		idx = hv_kvm_vcpu_index(comm);
		if (idx < 0)
			continue;
		if (n == cap) {
			uint32_t nc = cap ? cap * 2 : 8;
			struct kvcpu *t = realloc(nv, nc * sizeof(*t));
			if (!t)
				break;
			nv = t;
			cap = nc;
		}
		nv[n++] = vcpu_init(idx, (int32_t)tid);
	}
	closedir(d);
	if (n) {
		g->vcpu_named = true;
		g->need_qmp_cpus = false;
		set_vcpus(k, g, nv, n);
	} else {
		free(nv);
		/* Threads unnamed (no debug-threads=on): QMP knows them. */
		if (!g->vcpu_named && g->nvcpu == 0)
			g->need_qmp_cpus = true;
	}
	/* Fewer than configured (still starting, hot-plug): look sooner. */
	if (g->nvcpu < g->cmd.smp)
		g->threads_at = k->seq + 8;
}

void hv_kvm_vcpus_from_qmp(struct kvm *k, struct kguest *g, const void *j)
{
	const cJSON *ret = j;
	const cJSON *c;
	struct kvcpu *nv;
	uint32_t n = 0, cap = (uint32_t)cJSON_GetArraySize(ret);

	if (!cJSON_IsArray(ret) || cap == 0 || cap > 65536)
		return;
	nv = calloc(cap, sizeof(*nv));
	if (!nv)
		return;
	cJSON_ArrayForEach(c, ret)
	{
		const cJSON *ix =
		    cJSON_GetObjectItemCaseSensitive(c, "cpu-index");
		const cJSON *th =
		    cJSON_GetObjectItemCaseSensitive(c, "thread-id");
		if (n < cap && cJSON_IsNumber(ix) && cJSON_IsNumber(th) &&
		    ix->valuedouble >= 0 && th->valuedouble > 0 &&
		    th->valuedouble <= INT32_MAX)
			nv[n++] = vcpu_init((int)ix->valuedouble,
			                    (int32_t)th->valuedouble);
	}
	g->need_qmp_cpus = false;
	if (!n) {
		free(nv);
		return;
	}
	set_vcpus(k, g, nv, n);
}

static void read_affinity(struct kvm *k, struct kvcpu *v, const char *status)
{
	char list[1024];
	uint64_t bits[AFF_BITS / 64];
	size_t words = (k->nbits + 63) / 64;
	bool any = true;

	if (hv_kvm_status_field(status, "Cpus_allowed_list", list,
	                        sizeof(list))) {
		v->aff_ok = false;
		return;
	}
	if (v->aff_ok && strlen(list) < sizeof(v->aff_text) &&
	    strcmp(list, v->aff_text) == 0)
		return; /* unchanged */
	v->aff_ok = false;
	if (hv_parse_cpulist(list, bits, AFF_BITS))
		return;
	for (uint32_t i = 0; i < k->nbits; i++)
		if (!(bits[i / 64] & (1ULL << (i % 64))))
			any = false;
	free(v->aff);
	v->aff = NULL;
	if (!any && words) {
		v->aff = malloc(words * sizeof(uint64_t));
		if (!v->aff)
			return;
		memcpy(v->aff, bits, words * sizeof(uint64_t));
		if (k->nbits % 64)
			v->aff[words - 1] &= (1ULL << (k->nbits % 64)) - 1;
	}
	v->aff_any = any;
	v->aff_ok = true;
	snprintf(v->aff_text, sizeof(v->aff_text), "%s",
	         strlen(list) < sizeof(v->aff_text) ? list : "");
}

/* Did the thread last run on a pCPU its known mask excludes? Then the
 * mask changed since it was read. */
static bool ran_outside(const struct kvm *k, const struct kvcpu *v)
{
	uint32_t c = (uint32_t)v->pcpu;

	if (!v->aff_ok || v->aff_any || !v->aff || v->pcpu < 0 || c >= k->nbits)
		return false;
	return !((v->aff[c / 64] >> (c % 64)) & 1);
}

void hv_kvm_read_vcpu(struct kvm *k, struct kguest *g, struct kvcpu *v)
{
	char buf[4096];
	struct hv_kvm_stat st;
	uint64_t run, wait;
	ssize_t n;

	v->ok = false;
	v->time = v->guest = v->wait = hv_na(HV_NA_UNAVAILABLE);
	v->pcpu = -1;
	v->state = 0;
	n = hv_kvm_read_task(k, &v->fd_stat, g, v->tid, "stat", buf,
	                     sizeof(buf));
	if (n <= 0 || hv_kvm_parse_stat(buf, &st)) {
		if (n <= 0) {
			g->threads_at = k->seq + 1; /* thread gone: rescan */
			if (!g->vcpu_named)
				g->need_qmp_cpus = true;
		} else
			v->time = v->guest = hv_na(HV_NA_ERROR);
		return;
	}
	v->ok = true;
	v->state = st.state;
	v->pcpu = st.processor;
	v->time = hv_val((st.utime + st.stime) * k->tick_ns);
	v->guest = st.has_guest ? hv_val(st.guest_time * k->tick_ns)
	                        : hv_na(HV_NA_UNSUPPORTED);
	n = hv_kvm_read_task(k, &v->fd_sched, g, v->tid, "schedstat", buf,
	                     sizeof(buf));
	if (n > 0 && !hv_kvm_parse_schedstat(buf, &run, &wait))
		v->wait = hv_val(wait);
	else
		v->wait = hv_na(n > 0 ? HV_NA_ERROR : HV_NA_UNSUPPORTED);
	if (v->aff_read && (k->seq + (uint32_t)v->tid) % k->aff_period &&
	    !ran_outside(k, v))
		return;
	v->aff_read = true;
	if (k->keep_status) {
		n = hv_kvm_read_task(k, &v->fd_status, g, v->tid, "status", buf,
		                     sizeof(buf));
	} else {
		char rel[64];
		hv_kvm_fd_close(
		    k, &v->fd_status); /* the budget went to counters */
		snprintf(rel, sizeof(rel), "task/%d/status", v->tid);
		n = hv_kvm_read_once(g->dfd, rel, buf, sizeof(buf));
	}
	if (n > 0)
		read_affinity(k, v, buf);
	else
		v->aff_ok = false;
}
