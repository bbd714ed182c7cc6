/* SPDX-License-Identifier: MIT */
/* kvm backend: counter files read through descriptors kept open between
 * samples (one pread each), within a budget of the fd limit. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "hv/sysio.h"
#include "kvm/kvm_be.h"

/* Cached counters may use the fd limit but for 1024 (at least half of it)
 * left to the program. */
unsigned hv_kvm_fd_budget(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		return (unsigned)(rl.rlim_cur > 2048 ? rl.rlim_cur - 1024
		                                     : rl.rlim_cur / 2);
	return 65536;
}

void hv_kvm_fd_close(struct kvm *k, int *fdp)
{
	if (*fdp >= 0) {
		close(*fdp);
		k->nfds--;
		*fdp = -1;
	}
}

/* One pread: kernel text files (seq_file, sysfs) hand out everything
 * that fits in one call, so a short read is the whole file and the EOF
 * probe hv_pread_all would add (a second syscall per file) is skipped. */
static ssize_t pread_once(int fd, char *buf, size_t len, const char *what)
{
	ssize_t r;

	do {
		r = pread(fd, buf, len - 1, 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		buf[0] = '\0';
		return -errno;
	}
	if ((size_t)r == len - 1) /* may be longer: read it all */
		return hv_pread_all(fd, buf, len, what, NULL);
	buf[r] = '\0';
	return r;
}

ssize_t hv_kvm_read(struct kvm *k, int *fdp, int dirfd, const char *rel,
                    char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if (*fdp >= 0) {
		n = pread_once(*fdp, buf, len, rel);
		return n;
	}
	fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread_once(fd, buf, len, rel);
	/* Leave room for every QMP socket of a round. */
	if (n >= 0 && k->nfds + k->nqmp < k->fd_budget) {
		*fdp = fd;
		k->nfds++;
	} else {
		close(fd);
	}
	return n;
}

ssize_t hv_kvm_read_task(struct kvm *k, int *fdp, const struct kguest *g,
                         int32_t tid, const char *leaf, char *buf, size_t len)
{
	char rel[64];

	if (*fdp >= 0)
		return pread_once(*fdp, buf, len, leaf);
	snprintf(rel, sizeof(rel), "task/%d/%s", tid, leaf);
	return hv_kvm_read(k, fdp, g->dfd, rel, buf, len);
}

ssize_t hv_kvm_read_once(int dirfd, const char *rel, char *buf, size_t len)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		buf[0] = '\0';
		return -errno;
	}
	n = pread_once(fd, buf, len, rel);
	close(fd);
	return n;
}
