/* SPDX-License-Identifier: MIT */
/* KVM's own statistics for a VM: debugfs kvm/PID-FD/ holds one text file
 * per counter, summed over the VM's vCPUs (the figures kvm_stat shows).
 * The names differ by architecture; each hv_dom.kvm_* counter is the sum of
 * the files that exist for it (see hv/sample.h). Without debugfs mounted
 * (or not root) the counters stay "unsupported"/"unavailable". */
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

void hv_kvm_exits_fill(const struct kvm *k, const struct kguest *g, hv_dom *d)
{
	static const char *const all[] = {"exits", NULL};
	static const char *const mmio[] = {"mmio_exits", "mmio_exit_user",
	                                   "mmio_exit_kernel", NULL};
	static const char *const io[] = {"io_exits", NULL};
	static const char *const wait[] = {"halt_exits", "wfi_exit_stat",
	                                   "wfe_exit_stat", NULL};
	static const char *const hvc[] = {"hvc_exit_stat", NULL};
	static const char *const irq[] = {"irq_exits", NULL};
	static const char *const sig[] = {"signal_exits", NULL};

	if (!g->kvmdbg[0])
		return; /* stays unsupported */
	d->kvm_exits = sum(k, g, all);
	d->kvm_mmio_exits = sum(k, g, mmio);
	d->kvm_io_exits = sum(k, g, io);
	d->kvm_wait_exits = sum(k, g, wait);
	d->kvm_hvc_exits = sum(k, g, hvc);
	d->kvm_irq_exits = sum(k, g, irq);
	d->kvm_signal_exits = sum(k, g, sig);
}
