/* SPDX-License-Identifier: MIT */
/* KVM's own statistics for a VM (the figures kvm_stat shows), from the
 * binary stats fds (kvm_statsfd.c: the VM's and each vCPU's, summed) when
 * they could be had, else from debugfs kvm/PID-FD/, one text file per
 * counter summed over the VM's vCPUs. The names differ by architecture;
 * each hv_dom.kvm_* counter is the sum of the names of its kind that exist
 * (hv_kvm_xk_names, see hv/sample.h). With neither (debugfs not mounted,
 * not root) the counters stay "unsupported"/"unavailable". */
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

/* Sources in order: the binary stats fds, then debugfs text files. */
void hv_kvm_exits_fill(const struct kvm *k, const struct kguest *g, hv_dom *d)
{
	hv_u64 *out[HV_KVM_XK_N] = {
	    [HV_KVM_XK_ALL] = &d->kvm_exits,
	    [HV_KVM_XK_MMIO] = &d->kvm_mmio_exits,
	    [HV_KVM_XK_IO] = &d->kvm_io_exits,
	    [HV_KVM_XK_WAIT] = &d->kvm_wait_exits,
	    [HV_KVM_XK_HVC] = &d->kvm_hvc_exits,
	    [HV_KVM_XK_IRQ] = &d->kvm_irq_exits,
	    [HV_KVM_XK_SIGNAL] = &d->kvm_signal_exits,
	};

	if (g->ks_why[0])
		hv_kvm_note(d, g->ks_why);
	if (g->ks_ok) {
		fill_stats(g, out);
		return;
	}
	if (!g->kvmdbg[0])
		return; /* stays unsupported */
	for (int x = 0; x < HV_KVM_XK_N; x++)
		*out[x] = sum(k, g, hv_kvm_xk_names[x]);
}

void hv_kvm_exits_vcpus(const struct kguest *g, hv_dom *d)
{
	if (!g->ks_ok)
		return;
	for (uint32_t i = 0; i < g->nks; i++) {
		const struct kstat *s = &g->ks[i];
		for (uint32_t j = 0; s->vcpu >= 0 && j < d->nr_vcpu; j++) {
			hv_vcpu *v = &d->vcpu[j];
			if (v->id != (uint32_t)s->vcpu)
				continue;
			if (s->x.has[HV_KVM_XK_ALL])
				v->kvm_exits = hv_val(s->x.v[HV_KVM_XK_ALL]);
			if (s->x.has[HV_KVM_XK_WAIT])
				v->kvm_wait_exits =
				    hv_val(s->x.v[HV_KVM_XK_WAIT]);
		}
	}
}
