/* SPDX-License-Identifier: MIT */
/* PM QoS CPU latency through /dev/cpu_dma_latency: a binary s32 in µs,
 * held while the fd stays open (the kernel drops it on close, so a crashed
 * holder leaves nothing behind). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "plat_int.h"

int hv_plat_qos_hold(hv_plat *p, int32_t latency_us, hv_err *err)
{
	char path[PATH_MAX];
	ssize_t w;
	int fd = p->qos_fd;

	if (latency_us < 0)
		return hv_err_set(err, EINVAL,
		                  "PM QoS latency must be >= 0 µs, not %d",
		                  (int)latency_us);
	if (fd < 0) {
		if (plat_path(p, HV_ROOT_DEV, path, sizeof(path),
		              "cpu_dma_latency"))
			return hv_err_set(err, ENAMETOOLONG, "path too long");
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return hv_err_set(err, errno, "%s: %s", path,
			                  strerror(errno));
	}
	/* A second write on the same fd updates the request in place. The
	 * seek is a no-op on the device and keeps a fixture file at 4 bytes. */
	(void)lseek(fd, 0, SEEK_SET);
	w = write(fd, &latency_us, sizeof(latency_us));
	if (w != (ssize_t)sizeof(latency_us)) {
		int e = w < 0 ? errno : EIO;
		if (fd != p->qos_fd)
			close(fd);
		return hv_err_set(err, e, "cpu_dma_latency: %s", strerror(e));
	}
	p->qos_fd = fd;
	p->qos_val = latency_us;
	return 0;
}

void hv_plat_qos_release(hv_plat *p)
{
	if (!p || p->qos_fd < 0)
		return;
	close(p->qos_fd);
	p->qos_fd = -1;
	p->qos_val = -1;
}

int32_t hv_plat_qos_held(const hv_plat *p)
{
	return p ? p->qos_val : -1;
}
