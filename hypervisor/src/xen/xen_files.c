/* SPDX-License-Identifier: MIT */
/* dom0 files the Xen backend reads: /proc/net/dev for vifs and the blkback
 * statistics in sysfs. Paths go through hv_env so fixtures run this code. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/env.h"
#include "hv/sysio.h"
#include "xen/xen_int.h"

ssize_t hv_xen_read_netdev(const hv_env *env, char *buf, size_t len)
{
	char path[PATH_MAX];
	size_t got = 0;
	int fd, rc;

	if (len < 2)
		return -EINVAL;
	rc = hv_env_path(env, HV_ROOT_PROC, path, sizeof(path), "net/dev");
	if (rc < 0)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got + 1 < len) {
		ssize_t r = read(fd, buf + got, len - 1 - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			close(fd);
			return rc;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

/* One statistics counter, relative to the devices directory fd. */
static int read_stat(int dirfd, const char *dev, const char *file,
                     uint64_t *out, hv_xen_counts *cnt)
{
	char rel[128], buf[32];
	ssize_t r;
	int fd;

	snprintf(rel, sizeof(rel), "%s/statistics/%s", dev, file);
	fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (cnt)
		cnt->file_reads++;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return r < 0 ? -errno : -EINVAL;
	buf[r] = '\0';
	return hv_parse_u64(buf, out);
}

int hv_xen_read_vbds(const hv_env *env, hv_xen_vbd **arr, size_t *cap,
                     size_t *n, hv_xen_counts *cnt)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int rc;

	*n = 0;
	rc = hv_env_path(env, HV_ROOT_SYS, path, sizeof(path),
	                 "bus/xen-backend/devices");
	if (rc < 0)
		return rc;
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	if (cnt)
		cnt->vbd_scans++;
	while ((de = readdir(dir))) {
		hv_xen_vbd v = {0};

		if (hv_xen_parse_vbd_dir(de->d_name, &v.domid, &v.dev, &v.src) <
		    0)
			continue;
		if (v.src == HV_BLK_BLKBACK) {
			int fd = dirfd(dir);
			/* A vbd being torn down loses its files: it is then
			 * listed without counters rather than failing all. */
			v.ok = read_stat(fd, de->d_name, "oo_req", &v.oo,
			                 cnt) == 0 &&
			       read_stat(fd, de->d_name, "rd_req", &v.rd,
			                 cnt) == 0 &&
			       read_stat(fd, de->d_name, "wr_req", &v.wr,
			                 cnt) == 0 &&
			       read_stat(fd, de->d_name, "rd_sect", &v.rsect,
			                 cnt) == 0 &&
			       read_stat(fd, de->d_name, "wr_sect", &v.wsect,
			                 cnt) == 0;
			if (v.ok) {
				v.have_fl = read_stat(fd, de->d_name, "f_req",
				                      &v.fl, cnt) == 0;
				v.have_ds = read_stat(fd, de->d_name, "ds_req",
				                      &v.ds, cnt) == 0;
			}
		}
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 16;
			hv_xen_vbd *na = realloc(*arr, nc * sizeof(*na));
			if (!na) {
				closedir(dir);
				return -ENOMEM;
			}
			*arr = na;
			*cap = nc;
		}
		(*arr)[(*n)++] = v;
	}
	closedir(dir);
	return 0;
}
