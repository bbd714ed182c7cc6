/* SPDX-License-Identifier: MIT */
/* The kvm backend: every QEMU process on the host is a domain.
 *
 * Per sample: list /proc (one getdents pass), keep a per-pid cache keyed by
 * (pid, starttime) so only new pids are classified and only new QEMUs have
 * their command line parsed; read each guest's counters through file
 * descriptors kept open between samples (pread), within an fd budget; ask
 * all QMP monitors at once with one deadline, overlapped with the procfs
 * reads. This file holds the ops and the sample's phases; kvm_be.h lists
 * the files that do each part. See docs/arch/kvm.md. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/sysio.h"
#include "kvm/kvm_be.h"

static int kvm_probe(const hv_env *env)
{
	char path[PATH_MAX + 32];
	DIR *d;
	struct dirent *de;
	int found = 0;

	if (hv_env_path(env, HV_ROOT_DEV, path, sizeof(path), "kvm") == 0 &&
	    access(path, F_OK) == 0)
		return 10;
	if (hv_env_path(env, HV_ROOT_PROC, path, sizeof(path), "%s", "") ||
	    !(d = opendir(path)))
		return 0;
	while (!found && (de = readdir(d))) {
		char rel[PATH_MAX + 64], comm[64];
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(rel, sizeof(rel), "%s/%s/comm", path, de->d_name);
		if (hv_read_str(rel, comm, sizeof(comm), NULL) == 0 &&
		    hv_kvm_is_qemu_name(comm))
			found = 1;
	}
	closedir(d);
	return found ? 5 : 0;
}

static void kvm_close(void *priv)
{
	struct kvm *k = priv;

	if (!k)
		return;
	hv_kvm_tab_free(k);
	free(k->live);
	free(k->pids);
	if (k->procdir)
		closedir(k->procdir);
	if (k->netdfd >= 0)
		close(k->netdfd);
	hv_kvm_net_free(k);
	hv_kvm_lv_close(k);
	hv_plat_close(k->plat);
	free(k->ksbuf);
	free(k);
}

/* libvirt: options first, then the environment, then the defaults. */
static void lv_config(struct kvm *k, const hv_backend_opts *opts)
{
	const char *uri = opts && opts->libvirt_uri
	                      ? opts->libvirt_uri
	                      : getenv("HVKIT_LIBVIRT_URI");
	const char *t = getenv("HVKIT_LIBVIRT_TIMEOUT_MS");
	uint64_t ms = 0;

	snprintf(k->lv_uri, sizeof(k->lv_uri), "%s",
	         uri && uri[0] ? uri : HV_LV_DEFAULT_URI);
	if (opts && opts->libvirt_timeout_ms > 0)
		ms = (uint64_t)opts->libvirt_timeout_ms;
	else if (t && hv_parse_u64(t, &ms) == 0 && ms > 600000)
		ms = 0;
	k->lv_timeout_ms = ms ? (unsigned)ms : HV_LV_DEFAULT_TIMEOUT_MS;
}

static int kvm_open(const hv_env *env, const hv_backend_opts *opts, void **priv,
                    hv_err *err)
{
	struct kvm *k = calloc(1, sizeof(*k));
	char path[PATH_MAX + 32];
	long tck = sysconf(_SC_CLK_TCK), pg = sysconf(_SC_PAGESIZE);
	int rc;

	if (!k)
		return hv_err_set(err, ENOMEM, "kvm: out of memory");
	k->env = *env;
	k->procfd = -1;
	k->netdfd = -1;
	k->tick_ns = tck > 0 ? 1000000000ULL / (uint64_t)tck : 10000000ULL;
	k->page_kib = pg > 0 ? (uint64_t)pg / 1024 : 4;
	k->qmp_timeout_ms =
	    opts && opts->qmp_timeout_ms > 0 ? opts->qmp_timeout_ms : 200;
	k->aff_max_ns = HV_KVM_AFF_MAX_MS * 1000000ULL;
	if (opts && opts->qmp_dirs) {
		snprintf(k->qmp_dirs, sizeof(k->qmp_dirs), "%s",
		         opts->qmp_dirs);
	} else {
		char run[PATH_MAX + 8];
		if (hv_env_path(env, HV_ROOT_RUN, run, sizeof(run), "qmp"))
			run[0] = '\0';
		/* Proxmox VE keeps VMID.qmp in /var/run/qemu-server. */
		snprintf(k->qmp_dirs, sizeof(k->qmp_dirs),
		         "%s:/var/run/qemu:/var/run/qemu-server", run);
	}
	lv_config(k, opts);
	k->fd_budget = hv_kvm_fd_budget();
	if (hv_env_path(env, HV_ROOT_PROC, path, sizeof(path), "%s", "")) {
		rc = hv_err_set(err, ENAMETOOLONG, "kvm: procfs path too long");
		goto fail;
	}
	k->procdir = opendir(path);
	if (!k->procdir) {
		rc = hv_err_set(err, errno, "kvm: %s: %s", path,
		                strerror(errno));
		goto fail;
	}
	k->procfd = dirfd(k->procdir);
	if (hv_env_path(env, HV_ROOT_SYS, path, sizeof(path), "class/net") == 0)
		k->netdfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (hv_env_path(env, HV_ROOT_PROC, path, sizeof(path), "self/ns/net") ==
	    0) {
		ssize_t n = readlink(path, k->self_ns, sizeof(k->self_ns) - 1);
		k->self_ns[n > 0 ? n : 0] = '\0';
	}
	/* The host part comes from the platform layer; without it the
	 * domains are still worth reporting. */
	if (hv_plat_open(env, &k->plat, &k->plat_err))
		k->plat = NULL;
	*priv = k;
	return 0;
fail:
	kvm_close(k);
	return rc;
}

/* Affinity at most aff_max_ns old at this sampling rate: each vCPU's
 * status once in aff_period samples, spread over them. */
static void sample_clock(struct kvm *k)
{
	k->seq++;
	k->prev_ns = k->now_ns;
	k->now_ns = hv_kvm_now_ns();
	k->aff_period = AFF_PERIOD;
	if (k->prev_ns && k->now_ns > k->prev_ns &&
	    k->aff_max_ns / (k->now_ns - k->prev_ns) < AFF_PERIOD) {
		uint64_t q = k->aff_max_ns / (k->now_ns - k->prev_ns);
		k->aff_period = q ? (uint32_t)q : 1;
	}
}

/* Keep status fds only if caching everything fits the budget: dfd, stat,
 * io, per vCPU stat, schedstat and status, a net/dev view, sysfs taps. */
static void plan_fds(struct kvm *k)
{
	size_t want = k->nqmp;

	for (size_t i = 0; i < k->nlive; i++) {
		const struct kguest *g = k->live[i];
		want += 3 + 3 * (size_t)g->nvcpu + (g->nnet ? 1 : 0) + g->nks;
		for (uint32_t t = 0; t < g->nnet; t++)
			want += g->net[t].sysfs ? NET_NSTAT : 0;
	}
	k->keep_status = want <= k->fd_budget;
}

/* Start every guest's QMP round (so monitors answer while procfs is
 * read); qs gets the connections. Returns their number. */
static size_t qmp_start_all(struct kvm *k, hv_kvm_qmp **qs)
{
	size_t nq = 0;

	for (size_t i = 0; i < k->nlive; i++) {
		struct kguest *g = k->live[i];
		unsigned mask = (1u << HV_QMP_STATUS) |
		                (1u << HV_QMP_BLOCKSTATS) |
		                (1u << HV_QMP_BALLOON);
		if (!g->qmp && !g->cmd.libvirt && k->seq >= g->qmp_find_at)
			hv_kvm_find_qmp(k, g);
		if (!g->qmp)
			continue;
		/* Thread names first: unnamed ones need query-cpus-fast. */
		if (k->seq >= g->threads_at)
			hv_kvm_scan_threads(k, g);
		if (g->need_qmp_cpus)
			mask |= 1u << HV_QMP_CPUS;
		/* KVM's statistics through QEMU, vCPUs told apart by
		 * query-cpus-fast's qom-paths */
		if (hv_kvm_exits_want_qmp(k, g))
			mask |= (1u << HV_QMP_STATS) | (1u << HV_QMP_CPUS);
		hv_kvm_qmp_start(g->qmp, mask);
		qs[nq++] = g->qmp;
	}
	return nq;
}

/* One guest's procfs and sysfs reads. A failed read may mean the process
 * exited after the listing: then g->alive is false (left out, never
 * half-filled). */
static void read_guest(struct kvm *k, struct kguest *g)
{
	bool gone = false;

	g->alive = true;
	/* Resident pages: stat field 24, the same count statm gives, so no
	 * extra file. */
	g->rss_kib =
	    g->st.rss_ok ? hv_val(g->st.rss * k->page_kib) : hv_na(HV_NA_ERROR);
	g->io_ok = false;
	g->io_why = HV_NA_UNSUPPORTED;
	if (!g->qmp || !g->qmp_last_ok) {
		char iob[1024];
		ssize_t n =
		    hv_kvm_read(k, &g->fd_io, g->dfd, "io", iob, sizeof(iob));
		g->io_ok = n > 0 && hv_kvm_parse_io(iob, &g->io) == 0;
		g->io_why = g->io_ok ? HV_OK
		            : n > 0  ? HV_NA_ERROR
		                     : HV_NA_UNAVAILABLE;
		gone |= hv_kvm_vanished(n);
	}
	if (k->seq >= g->threads_at)
		hv_kvm_scan_threads(k, g);
	if (k->hook)
		k->hook(k->hook_arg, 2);
	for (uint32_t v = 0; v < g->nvcpu; v++) {
		hv_kvm_read_vcpu(k, g, &g->vcpu[v]);
		gone |= !g->vcpu[v].ok;
	}
	/* After the vCPU threads: a vCPU added since shows as one more
	 * thread than vCPU stats fds. */
	hv_kvm_stats_read(k, g);
	if (gone && !hv_kvm_guest_stat(k, g)) {
		g->alive = false;
		return;
	}
	/* A zombie QEMU has exited (its threads and taps are gone), only
	 * not yet reaped: left out too, never shown with half its data. */
	if (g->st.state == 'Z' || g->st.state == 'X') {
		g->alive = false;
		return;
	}
	if (!g->net_scanned || k->seq >= g->net_at)
		hv_kvm_scan_net(k, g);
	g->nsi = -1;
	if (g->nnet)
		hv_kvm_guest_ns(k, g);
	for (uint32_t t = 0; t < g->nnet; t++)
		hv_kvm_read_net(k, g, &g->net[t]);
}

/* vCPU threads learned from QMP are read at once. */
static void qmp_threads(struct kvm *k)
{
	for (size_t i = 0; i < k->nlive; i++) {
		struct kguest *g = k->live[i];
		const void *j;
		if (!g->alive || !g->qmp || !g->need_qmp_cpus ||
		    hv_kvm_qmp_outcome(g->qmp, NULL) != HV_QMP_O_OK ||
		    hv_kvm_qmp_result(g->qmp, HV_QMP_CPUS, &j) != HV_QMP_R_OK)
			continue;
		hv_kvm_vcpus_from_qmp(k, g, j);
		for (uint32_t v = 0; v < g->nvcpu; v++)
			hv_kvm_read_vcpu(k, g, &g->vcpu[v]);
	}
}

static int kvm_sample(void *priv, hv_snap *s, hv_err *err)
{
	struct kvm *k = priv;
	hv_host *h = hv_snap_host_mut(s);
	hv_kvm_qmp **qs = NULL;
	size_t nq;
	uint64_t deadline;
	int rc;

	sample_clock(k);
	if (k->plat) {
		rc = hv_plat_sample(k->plat, s, err);
		if (rc < 0)
			return rc;
	}
	snprintf(h->backend, sizeof(h->backend), "kvm");
	k->nbits = h->nr_pcpu > AFF_BITS ? AFF_BITS : h->nr_pcpu;

	rc = hv_kvm_discover(k);
	if (rc)
		return hv_err_set(err, -rc, "kvm: listing processes: %s",
		                  strerror(-rc));
	if (k->hook)
		k->hook(k->hook_arg, 1);
	hv_kvm_lv_poll(k);
	plan_fds(k);

	qs = calloc(k->nlive ? k->nlive : 1, sizeof(*qs));
	if (!qs)
		return hv_err_set(err, ENOMEM, "kvm: out of memory");
	deadline = hv_kvm_now_ns() + (uint64_t)k->qmp_timeout_ms * 1000000ULL;
	nq = qmp_start_all(k, qs);
	k->nns = 0;
	for (size_t i = 0; i < k->nlive; i++)
		read_guest(k, k->live[i]);
	k->nqmp = (unsigned)nq;
	hv_kvm_qmp_finish(qs, nq, deadline);
	free(qs);
	qmp_threads(k);

	for (size_t i = 0; i < k->nlive; i++) {
		if (!k->live[i]->alive)
			continue;
		rc = hv_kvm_fill_dom(k, s, k->live[i]);
		if (rc)
			return hv_err_set(err, -rc, "kvm: %s", strerror(-rc));
	}
	return 0;
}

static int kvm_knob_get(void *priv, const char *knob, char *val, size_t len,
                        hv_err *err)
{
	struct kvm *k = priv;

	if (!k->plat)
		return hv_err_set(err, ENOTSUP, "%s: no platform layer: %s",
		                  knob, k->plat_err.msg);
	return hv_plat_knob_get(k->plat, knob, val, len, err);
}

static int kvm_knob_set(void *priv, const char *knob, const char *val,
                        hv_err *err)
{
	struct kvm *k = priv;

	if (!k->plat)
		return hv_err_set(err, ENOTSUP, "%s: no platform layer: %s",
		                  knob, k->plat_err.msg);
	return hv_plat_knob_set(k->plat, knob, val, err);
}

void hv_kvm_set_hook(void *priv, void (*fn)(void *arg, int phase), void *arg)
{
	struct kvm *k = priv;

	k->hook = fn;
	k->hook_arg = arg;
}

void hv_kvm_set_aff_max_ms(void *priv, unsigned ms)
{
	((struct kvm *)priv)->aff_max_ns = ms * 1000000ULL;
}

void hv_kvm_set_stats_open(void *priv,
                           int (*fn)(void *arg, uint32_t pid, int vfd),
                           void *arg)
{
	struct kvm *k = priv;

	k->ks_open = fn;
	k->ks_arg = arg;
}

unsigned hv_kvm_cached_fds(const void *priv)
{
	return ((const struct kvm *)priv)->nfds;
}

const struct hv_backend_ops hv_kvm_ops = {
    .name = "kvm",
    .desc = "KVM/QEMU via procfs, tap statistics and QMP",
    .probe = kvm_probe,
    .open = kvm_open,
    .sample = kvm_sample,
    .knob_get = kvm_knob_get,
    .knob_set = kvm_knob_set,
    .close = kvm_close,
};
