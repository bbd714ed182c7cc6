/* SPDX-License-Identifier: MIT */
/* kvm backend: one hv_dom from a guest's reads of this sample (procfs,
 * taps) and its QMP round (status, balloon, block statistics). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sysio.h"
#include "kvm/kvm_be.h"

static void qmp_blk_name(const cJSON *e, char *out, size_t len)
{
	const cJSON *dev = cJSON_GetObjectItemCaseSensitive(e, "device");
	const cJSON *qdev = cJSON_GetObjectItemCaseSensitive(e, "qdev");
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(e, "node-name");
	const char *s = NULL;
	size_t l;

	if (cJSON_IsString(dev) && dev->valuestring[0]) {
		s = dev->valuestring;
		l = strlen(s);
	} else if (cJSON_IsString(qdev) && qdev->valuestring[0]) {
		/* "/machine/peripheral/virtio-disk0/virtio-backend" */
		const char *q = qdev->valuestring;
		const char *pre = "/machine/peripheral/";
		if (strncmp(q, pre, strlen(pre)) == 0)
			q += strlen(pre);
		s = q;
		l = strcspn(q, "/");
		if (!l) {
			s = qdev->valuestring;
			l = strlen(s);
		}
	} else if (cJSON_IsString(node)) {
		s = node->valuestring;
		l = strlen(s);
	} else {
		s = "?";
		l = 1;
	}
	hv_sanitize_name(out, len, s, l);
}

static hv_u64 jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0)
		return hv_na(HV_NA_UNSUPPORTED);
	return hv_val((uint64_t)v->valuedouble);
}

void hv_kvm_note(hv_dom *d, const char *s)
{
	size_t l = strlen(d->note);

	if (!s[0] || strstr(d->note, s))
		return;
	if (l) {
		hv_kvm_copy_str(d->note + l, sizeof(d->note) - l, "; ");
		l = strlen(d->note);
	}
	hv_kvm_copy_str(d->note + l, sizeof(d->note) - l, s);
}

static uint32_t qmp_state(const char *st)
{
	if (strcmp(st, "running") == 0)
		return HV_DS_RUNNING;
	if (strcmp(st, "shutdown") == 0)
		return HV_DS_SHUTOFF;
	if (strcmp(st, "guest-panicked") == 0)
		return HV_DS_SHUTOFF | HV_DS_CRASHED;
	if (strcmp(st, "internal-error") == 0)
		return HV_DS_SHUTOFF | HV_DS_CRASHED;
	/* paused, suspended, prelaunch, inmigrate, postmigrate, io-error,
	 * watchdog, debug, save-vm, restore-vm, finish-migrate, colo */
	return HV_DS_PAUSED;
}

static int fill_blk_qmp(hv_snap *s, hv_dom *d, struct kguest *g,
                        const cJSON *ret)
{
	uint32_t n = (uint32_t)cJSON_GetArraySize(ret), i = 0;
	const cJSON *e;
	hv_blk *b;

	if (!cJSON_IsArray(ret))
		return -EINVAL;
	if (n == 0)
		return 0;
	b = hv_snap_blks(s, d, n);
	if (!b)
		return -ENOMEM;
	free(g->blk_name);
	g->blk_name = calloc(n, sizeof(*g->blk_name));
	g->nblk_name = g->blk_name ? n : 0;
	cJSON_ArrayForEach(e, ret)
	{
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "stats");
		if (i >= n)
			break;
		qmp_blk_name(e, b[i].name, sizeof(b[i].name));
		if (g->blk_name)
			memcpy(g->blk_name[i], b[i].name, HV_DEVNAME_LEN);
		b[i].id = i;
		b[i].src = HV_BLK_QMP;
		if (cJSON_IsObject(st)) {
			b[i].rd_reqs = jnum(st, "rd_operations");
			b[i].wr_reqs = jnum(st, "wr_operations");
			b[i].fl_reqs = jnum(st, "flush_operations");
			b[i].ds_reqs = jnum(st, "unmap_operations");
			b[i].rd_bytes = jnum(st, "rd_bytes");
			b[i].wr_bytes = jnum(st, "wr_bytes");
			b[i].rd_ns = jnum(st, "rd_total_time_ns");
			b[i].wr_ns = jnum(st, "wr_total_time_ns");
			b[i].fl_ns = jnum(st, "flush_total_time_ns");
		} else {
			b[i].rd_reqs = b[i].wr_reqs = b[i].rd_bytes =
			    b[i].wr_bytes = hv_na(HV_NA_ERROR);
		}
		i++;
	}
	return 0;
}

static int fill_blk_stale(hv_snap *s, hv_dom *d, struct kguest *g)
{
	hv_blk *b = hv_snap_blks(s, d, g->nblk_name);
	hv_u64 st = hv_na(HV_NA_STALE);

	if (!b)
		return -ENOMEM;
	for (uint32_t i = 0; i < g->nblk_name; i++) {
		memcpy(b[i].name, g->blk_name[i], HV_DEVNAME_LEN);
		b[i].id = i;
		b[i].src = HV_BLK_QMP;
		b[i].rd_reqs = b[i].wr_reqs = b[i].fl_reqs = b[i].ds_reqs = st;
		b[i].rd_bytes = b[i].wr_bytes = st;
		b[i].rd_ns = b[i].wr_ns = b[i].fl_ns = st;
	}
	return 0;
}

/* Identity, process-wide counters and what the command line says. */
static void fill_ident(struct kvm *k, hv_dom *d, const struct kguest *g)
{
	d->key = g->key;
	d->id = g->pid;
	hv_kvm_copy_str(d->name, sizeof(d->name), g->cmd.name);
	hv_kvm_copy_str(d->uuid, sizeof(d->uuid), g->cmd.uuid);
	d->start_ns = g->starttime * k->tick_ns;
	d->cpu_ns = hv_val((g->st.utime + g->st.stime) * k->tick_ns);
	/* With a balloon the current size is QMP's or libvirt's to say;
	 * without one it is the -m size. */
	d->mem_kib =
	    g->cmd.balloon ? hv_na(HV_NA_UNAVAILABLE) : hv_val(g->cmd.mem_kib);
	d->maxmem_kib = hv_val(g->cmd.maxmem_kib);
	if (g->vmm) /* another VMM: its guest size is its own to say */
		d->mem_kib = d->maxmem_kib = hv_na(HV_NA_UNAVAILABLE);
	hv_kvm_exits_fill(k, g, d);
	d->vmid = g->cmd.vmid;
	/* Not disk requests: only the bytes, under their own names. */
	if (g->io_ok) {
		d->io_rd_bytes = hv_val(g->io.read_bytes);
		d->io_wr_bytes = hv_val(g->io.write_bytes);
	} else {
		d->io_rd_bytes = d->io_wr_bytes = hv_na((hv_why)g->io_why);
	}
	d->rss_kib = g->rss_kib;
	d->nr_vcpus = g->cmd.smp;
	d->sources = HV_SRC_PROC;
	d->target_kib = hv_na(HV_NA_UNSUPPORTED);
}

/* The vCPU records; *any_vcpu / *any_run: a thread was read / running. */
static int fill_vcpus(struct kvm *k, hv_snap *s, hv_dom *d,
                      const struct kguest *g, bool *any_vcpu, bool *any_run)
{
	size_t words = (k->nbits + 63) / 64;
	hv_vcpu *v;

	if (!g->nvcpu) {
		hv_kvm_note(d, g->need_qmp_cpus && !g->qmp
		                   ? "vCPU threads unnamed, no QMP: "
		                     "no per-vCPU data"
		                   : "vCPU threads not found yet");
		return 0;
	}
	v = hv_snap_vcpus(s, d, g->nvcpu);
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < g->nvcpu; i++) {
		const struct kvcpu *c = &g->vcpu[i];
		v[i].id = (uint32_t)c->idx;
		v[i].tid = c->tid;
		v[i].pcpu = c->pcpu;
		v[i].online = 1;
		v[i].time_ns = c->time;
		v[i].guest_ns = c->guest;
		v[i].wait_ns = c->wait;
		if (c->ok && c->aff_ok && !c->aff_any && c->aff && words) {
			uint64_t *b =
			    hv_snap_alloc(s, words * sizeof(uint64_t));
			if (!b)
				return -ENOMEM;
			memcpy(b, c->aff, words * sizeof(uint64_t));
			v[i].affinity = b;
		}
		if (c->ok) {
			*any_vcpu = true;
			if (c->state == 'R')
				*any_run = true;
		}
	}
	return 0;
}

/* The outcome of g's QMP round, with a note for anything short of OK. */
static enum hv_kvm_qmp_outcome qmp_outcome(struct kvm *k, hv_dom *d,
                                           struct kguest *g)
{
	enum hv_kvm_qmp_outcome qo = HV_QMP_O_UNAVAILABLE;
	const char *qwhy = "";

	if (g->qmp)
		g->qmp_last_ok = false;
	if (g->cmd.libvirt) {
		/* libvirtd holds the monitor: kvm_libvirt.c says the rest */
	} else if (g->qmp) {
		qo = hv_kvm_qmp_outcome(g->qmp, &qwhy);
		if (qo == HV_QMP_O_STALE) {
			char why[80];
			d->stale |= HV_SRC_QMP;
			if (strstr(qwhy,
			           "deadline")) /* say how long we waited */
				snprintf(why, sizeof(why), "%s (%d ms)", qwhy,
				         k->qmp_timeout_ms);
			else
				snprintf(why, sizeof(why), "%s", qwhy);
			hv_kvm_note(d, why);
		} else if (qo == HV_QMP_O_UNAVAILABLE) {
			hv_kvm_note(d, qwhy);
		}
	} else {
		hv_kvm_note(d, "no QMP socket: procfs only");
	}
	return qo;
}

/* State from procfs: T/t paused, a vCPU running or none known -> running,
 * all vCPUs asleep -> blocked. (Z/X: an exited QEMU is left out before;
 * kept here for a stat that changed in between.) */
static uint32_t proc_state(const struct kguest *g, bool any_vcpu, bool any_run)
{
	if (g->st.state == 'Z' || g->st.state == 'X')
		return HV_DS_DYING;
	if (g->st.state == 'T' || g->st.state == 't')
		return HV_DS_PAUSED;
	if (!any_vcpu || any_run)
		return HV_DS_RUNNING;
	return HV_DS_BLOCKED;
}

/* A QMP round answered: status refines the state, balloon the target. */
static void fill_qmp_ok(hv_dom *d, struct kguest *g)
{
	const void *j;

	d->sources |= HV_SRC_QMP;
	g->qmp_last_ok = true;
	if (hv_kvm_qmp_result(g->qmp, HV_QMP_STATUS, &j) == HV_QMP_R_OK) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(
		    (const cJSON *)j, "status");
		if (cJSON_IsString(st)) {
			uint32_t qs = qmp_state(st->valuestring);
			/* Keep "blocked" (all vCPUs idle) beside a running
			 * status, as Xen does. */
			if (qs == HV_DS_RUNNING && d->state == HV_DS_BLOCKED)
				qs = HV_DS_BLOCKED;
			if (!(d->state & HV_DS_DYING))
				d->state = qs;
		}
	}
	switch (hv_kvm_qmp_result(g->qmp, HV_QMP_BALLOON, &j)) {
	case HV_QMP_R_OK: {
		hv_u64 a = jnum((const cJSON *)j, "actual");
		if (hv_ok(a))
			d->target_kib = d->mem_kib = hv_val(a.v / 1024);
		break;
	}
	case HV_QMP_R_ERROR: /* no balloon device: -m is all there is */
		d->mem_kib = hv_val(g->cmd.mem_kib);
		break;
	default:
		break;
	}
}

static int fill_blk(hv_snap *s, hv_dom *d, struct kguest *g,
                    enum hv_kvm_qmp_outcome qo)
{
	const void *j;

	if (qo == HV_QMP_O_OK &&
	    hv_kvm_qmp_result(g->qmp, HV_QMP_BLOCKSTATS, &j) == HV_QMP_R_OK) {
		if (fill_blk_qmp(s, d, g, (const cJSON *)j) == -ENOMEM)
			return -ENOMEM;
	} else if (qo == HV_QMP_O_STALE && g->nblk_name) {
		if (fill_blk_stale(s, d, g))
			return -ENOMEM;
	}
	return 0;
}

/* The tap's host-side tx is what the guest received. */
static int fill_net(hv_snap *s, hv_dom *d, const struct kguest *g)
{
	hv_net *n;

	if (!g->nnet)
		return 0;
	n = hv_snap_nets(s, d, g->nnet);
	if (!n)
		return -ENOMEM;
	for (uint32_t i = 0; i < g->nnet; i++) {
		const struct knet *t = &g->net[i];
		hv_u64 *dst[NET_NSTAT] = {
		    &n[i].tx_bytes, &n[i].tx_pkts, &n[i].tx_errs, &n[i].tx_drop,
		    &n[i].rx_bytes, &n[i].rx_pkts, &n[i].rx_errs, &n[i].rx_drop,
		};
		hv_kvm_copy_str(n[i].name, sizeof(n[i].name), t->name);
		n[i].id = i;
		for (int st = 0; st < NET_NSTAT; st++)
			*dst[st] = t->ok[st] ? hv_val(t->v[st])
			                     : hv_na(HV_NA_UNAVAILABLE);
	}
	d->sources |= HV_SRC_NET;
	return 0;
}

int hv_kvm_fill_dom(struct kvm *k, hv_snap *s, struct kguest *g)
{
	hv_dom *d = hv_snap_add_dom(s);
	enum hv_kvm_qmp_outcome qo;
	bool any_run = false, any_vcpu = false;
	int lv;

	if (!d)
		return -ENOMEM;
	fill_ident(k, d, g);
	if (fill_vcpus(k, s, d, g, &any_vcpu, &any_run))
		return -ENOMEM;
	hv_kvm_exits_vcpus(g, d);
	qo = qmp_outcome(k, d, g);
	d->state = proc_state(g, any_vcpu, any_run);
	if (qo == HV_QMP_O_OK) {
		fill_qmp_ok(d, g);
		if (hv_kvm_exits_qmp(k, g, d))
			return -ENOMEM;
	} else if (qo == HV_QMP_O_STALE) {
		d->target_kib = hv_na(HV_NA_STALE);
		if (g->cmd.balloon)
			d->mem_kib = hv_na(HV_NA_STALE);
	}
	lv = hv_kvm_fill_libvirt(k, s, d, g);
	if (lv < 0)
		return -ENOMEM;
	/* Asleep with nobody to ask: a paused guest's vCPUs sleep too. */
	if (qo != HV_QMP_O_OK &&
	    (!(d->sources & HV_SRC_LIBVIRT) || (d->stale & HV_SRC_LIBVIRT)) &&
	    d->state == HV_DS_BLOCKED)
		hv_kvm_copy_str(d->state_why, sizeof(d->state_why),
		                "idle or paused?");
	if (g->cmd.balloon && !hv_ok(d->mem_kib) &&
	    d->mem_kib.why == HV_NA_UNAVAILABLE)
		hv_kvm_note(d, "balloon size unknown without QMP or libvirt");
	if (lv == 0 && (fill_blk(s, d, g, qo) || fill_net(s, d, g)))
		return -ENOMEM;
	return 0;
}
