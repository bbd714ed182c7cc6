/* SPDX-License-Identifier: MIT */
/* KVM's binary stats fds (KVM_GET_STATS_FD, Linux >= 5.14) of another
 * process's VM and vCPUs. hvkit is not the VMM, and KVM answers every VM
 * and vCPU ioctl, KVM_GET_STATS_FD included, with EIO to any process but
 * the VM's owner (kvm->mm != current->mm): a duplicate of the VMM's kvm-vm
 * fd cannot make one. So the stats fds the VMM itself holds
 * (<procfs>/PID/fd links "anon_inode:kvm-vm-stats" and
 * "anon_inode:kvm-vcpu-stats:N") are shared: pidfd_open + pidfd_getfd
 * (Linux >= 5.6; PTRACE_MODE_ATTACH: root or CAP_SYS_PTRACE). The copies
 * are kept (in the fd budget); their layout is parsed once and each sample
 * reads only the data block (one pread each). A stats fd holds a
 * reference on the VM: the copies are closed with the guest, as soon as
 * its process is gone. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm/kvm_be.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

void hv_kvm_stats_close(struct kvm *k, struct kguest *g)
{
	for (uint32_t i = 0; i < g->nks; i++)
		hv_kvm_fd_close(k, &g->ks[i].fd);
	free(g->ks);
	g->ks = NULL;
	g->nks = g->ks_vcpus = 0;
}

/* Stop trying for every guest: the reason holds for the whole host. */
static void give_up(struct kvm *k, int e)
{
	const char *why = e == EPERM || e == EACCES
	                      ? "KVM stats fds: not permitted (needs root "
	                        "or CAP_SYS_PTRACE)"
	                      : "KVM stats fds: no pidfd_getfd (Linux < 5.6)";
	k->ks_off = true;
	hv_kvm_copy_str(k->ks_why, sizeof(k->ks_why), why);
}

/* A copy of the VMM's stats fd vfd, through the pidfd; -errno.
 * pidfd_getfd sets close-on-exec. */
static int stats_fd(struct kvm *k, const struct kguest *g, int pidfd, int vfd)
{
	int fd;

	if (k->ks_open)
		return k->ks_open(k->ks_arg, g->pid, vfd);
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, vfd, 0);
	return fd < 0 ? -errno : fd;
}

/* Read and parse the layout of stats fd fd into ks. */
static int load_layout(int fd, struct kstat *ks, hv_err *err)
{
	unsigned char hdr[24], *buf = NULL;
	size_t need;
	ssize_t n;
	int rc;

	n = pread(fd, hdr, sizeof(hdr), 0);
	if (n < 0)
		return hv_err_set(err, errno, "kvm stats: %s", strerror(errno));
	rc = hv_kvm_stats_head_len(hdr, (size_t)n, &need, err);
	if (rc)
		goto out;
	buf = malloc(need);
	if (!buf) {
		rc = hv_err_set(err, ENOMEM, "kvm stats: out of memory");
		goto out;
	}
	n = pread(fd, buf, need, 0);
	rc = hv_kvm_stats_parse(buf, n > 0 ? (size_t)n : 0, &ks->lay, err);
out:
	free(buf);
	return rc;
}

static bool have_vfd(const struct kguest *g, int vfd)
{
	for (uint32_t i = 0; i < g->nks; i++)
		if (g->ks[i].vfd == vfd)
			return true;
	return false;
}

/* A copy of the VMM's stats fd vfd; vcpu = -1 for the VM's. Returns 0,
 * 1 when it cannot be had now (fd budget, the fd closed meanwhile, a
 * layout that does not parse: g->ks_why), or -errno when stats fds are
 * out of reach for the host (k->ks_off). */
static int add_one(struct kvm *k, struct kguest *g, int pidfd, int vfd,
                   int vcpu)
{
	struct kstat ks = {.fd = -1, .vfd = vfd, .vcpu = vcpu};
	struct kstat *n;
	hv_err err = {0};
	int fd;

	if (k->nfds + k->nqmp + 1 >= k->fd_budget)
		return 1;
	fd = stats_fd(k, g, pidfd, vfd);
	if (fd == -EPERM || fd == -EACCES || fd == -ENOSYS) {
		give_up(k, -fd);
		hv_kvm_copy_str(g->ks_why, sizeof(g->ks_why), k->ks_why);
		return fd;
	}
	if (fd < 0)
		return 1;
	n = realloc(g->ks, (g->nks + 1) * sizeof(*n));
	if (!n || load_layout(fd, &ks, &err)) {
		if (n)
			g->ks = n;
		close(fd);
		hv_kvm_copy_str(g->ks_why, sizeof(g->ks_why),
		                n ? err.msg : "out of memory");
		return 1;
	}
	g->ks = n;
	ks.fd = fd;
	k->nfds++;
	/* the id names the vCPU: trust it over the fd link's number */
	if (vcpu >= 0 && hv_kvm_stats_vcpu(&ks.lay) >= 0)
		ks.vcpu = hv_kvm_stats_vcpu(&ks.lay);
	g->ks[g->nks++] = ks;
	g->ks_vcpus += vcpu >= 0;
	return 0;
}

/* fd link -> -2 not a stats fd, -1 the VM's, N vCPU N's. */
static int stats_link(int dirfd, const char *name)
{
	char link[64];
	ssize_t n = readlinkat(dirfd, name, link, sizeof(link) - 1);
	long v;

	if (n <= 0)
		return -2;
	link[n] = '\0';
	if (!strcmp(link, "anon_inode:kvm-vm-stats"))
		return -1;
	if (strncmp(link, "anon_inode:kvm-vcpu-stats:", 26))
		return -2;
	v = strtol(link + 26, NULL, 10);
	return v >= 0 && v < 1000000 ? (int)v : -2;
}

#define SCAN_MAX 64 /* new stats fds taken per look (a VM + 63 vCPUs) */

struct cand {
	int vfd, vcpu;
};

/* Walk <procfs>/PID/fd for stats fds not yet held: at most SCAN_MAX into
 * c. Returns their number. */
static unsigned find_new(struct kguest *g, struct cand *c)
{
	int fd = openat(g->dfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	unsigned n = 0, seen = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d)) && seen++ < 4096 && n < SCAN_MAX) {
		int vfd, what;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		vfd = (int)strtol(de->d_name, NULL, 10);
		what = have_vfd(g, vfd) ? -2 : stats_link(fd, de->d_name);
		if (what >= -1)
			c[n++] = (struct cand){vfd, what};
	}
	closedir(d);
	return n;
}

/* Find the VMM's stats fds and copy the new ones: at first sight, every
 * RESCAN_PERIOD samples (staggered), at the next sample after one could
 * not be had, and, once the VMM is seen to hold some, when the vCPU
 * threads change while more run than vCPU stats fds are held (a vCPU
 * added later). */
static void scan(struct kvm *k, struct kguest *g)
{
	struct cand c[SCAN_MAX];
	unsigned n, miss = 0;
	int pidfd = -1;

	g->ks_at = k->seq + RESCAN_PERIOD + g->pid % RESCAN_PERIOD;
	g->ks_miss = false;
	g->ks_nvcpu = g->nvcpu;
	g->ks_why[0] = '\0'; /* a reason holds until the next look */
	n = find_new(g, c);
	if (!n)
		return; /* most VMMs (QEMU) hold none */
	if (!k->ks_open) {
		pidfd = (int)syscall(SYS_pidfd_open, g->pid, 0);
		if (pidfd < 0) {
			if (errno == ENOSYS || errno == EPERM) {
				give_up(k, errno);
				hv_kvm_copy_str(g->ks_why, sizeof(g->ks_why),
				                k->ks_why);
			}
			return;
		}
		/* Opened while /proc/PID (our dfd) is still this process:
		 * the pidfd is this process, not a later one with its pid. */
		if (!hv_kvm_guest_stat(k, g))
			goto out;
	}
	for (unsigned i = 0; i < n && !k->ks_off; i++)
		miss += add_one(k, g, pidfd, c[i].vfd, c[i].vcpu) == 1;
	g->ks_miss = miss > 0;
	if (miss)
		g->ks_at = k->seq + 1;
out:
	if (pidfd >= 0)
		close(pidfd);
}

/* Whether stats fds can be used here: the real /proc only (a fixture's
 * pids are not its processes), unless a test supplies them. */
static bool usable(const struct kvm *k)
{
	return !k->ks_off && (k->ks_open || !k->env.redirected);
}

/* The data block of one stats fd into s->x; false when short. */
static bool read_one(struct kvm *k, struct kstat *s)
{
	size_t len = s->lay.data_len;
	ssize_t n;

	memset(&s->x, 0, sizeof(s->x));
	if (!len)
		return true; /* names no kind (the VM's, mostly) */
	if (len > k->ksbuf_len) {
		unsigned char *b = realloc(k->ksbuf, len);
		if (!b)
			return false;
		k->ksbuf = b;
		k->ksbuf_len = len;
	}
	do {
		n = pread(s->fd, k->ksbuf, len, (off_t)s->lay.data_off);
	} while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != len)
		return false;
	hv_kvm_stats_kinds(&s->lay, k->ksbuf, len, &s->x);
	return true;
}

void hv_kvm_stats_read(struct kvm *k, struct kguest *g)
{
	g->ks_ok = false;
	if (!usable(k))
		return;
	/* More threads than vCPU stats fds: look once per change in the
	 * threads, not every sample (a VMM may hold fewer for good). */
	if (k->seq >= g->ks_at ||
	    (g->nks && g->nvcpu > g->ks_vcpus && g->nvcpu != g->ks_nvcpu))
		scan(k, g);
	if (!g->nks || g->ks_miss)
		return; /* none, or some missed: never a partial sum */
	g->ks_ok = true;
	for (uint32_t i = 0; i < g->nks; i++)
		g->ks_ok &= read_one(k, &g->ks[i]);
}
