/* SPDX-License-Identifier: MIT */
#include "hv/durable.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The directory part of path ("." when none). */
static void dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

int hv_dir_sync(const char *dir, hv_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return hv_err_set(err, errno, "%s: %s", dir, strerror(errno));
	if (fsync(fd))
		rc = hv_err_set(err, errno, "%s: fsync: %s", dir,
		                strerror(errno));
	close(fd);
	return rc;
}

int hv_file_replace(const char *path, const void *data, size_t len, mode_t mode,
                    hv_err *err)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd = -1, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return hv_err_set(err, ENAMETOOLONG, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	          mode ? mode : 0644);
	if (fd < 0) {
		rc = hv_err_set(err, errno, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if ((rc = write_all(fd, data, len)) || (fsync(fd) && (rc = -errno))) {
		rc = hv_err_set(err, -rc, "%s: %s", tmp, strerror(-rc));
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		rc = hv_err_set(err, errno, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path)) {
		rc = hv_err_set(err, errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	dir_of(path, dir, sizeof(dir));
	rc = hv_dir_sync(dir, err);
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp);
	return rc;
}

int hv_file_remove(const char *path, hv_err *err)
{
	char dir[PATH_MAX];

	if (unlink(path)) {
		if (errno == ENOENT)
			return 0;
		return hv_err_set(err, errno, "%s: %s", path, strerror(errno));
	}
	dir_of(path, dir, sizeof(dir));
	return hv_dir_sync(dir, err);
}

int hv_file_read(const char *path, size_t max, char **buf, size_t *len,
                 hv_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *b = NULL;
	size_t n = 0;
	int rc = 0;

	*buf = NULL;
	if (len)
		*len = 0;
	if (fd < 0)
		return hv_err_set(err, errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		rc = hv_err_set(err, EINVAL, "%s: not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		rc = hv_err_set(err, EFBIG, "%s: larger than %zu bytes", path,
		                max);
		goto out;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		rc = hv_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, b + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = hv_err_set(err, errno, "%s: %s", path,
			                strerror(errno));
			goto out;
		}
		if (r == 0)
			break; /* shrank under us: what is there */
		n += (size_t)r;
	}
	b[n] = '\0';
	*buf = b;
	b = NULL;
	if (len)
		*len = n;
out:
	free(b);
	close(fd);
	return rc;
}

/* ---- journal ---- */

struct hv_journal {
	hv_journal_opts o;
	char path[PATH_MAX];
	int fd;
	dev_t dev;
	ino_t ino;
	size_t cut;
	int in_head; /* head records are being written: no rotation */
};

/* Cut a torn last line: a record that is not whole was never acted on
 * (the change follows its durable record). */
static int cut_torn(hv_journal *j, hv_err *err)
{
	struct stat st;
	off_t end;
	char c;

	if (fstat(j->fd, &st))
		return hv_err_set(err, errno, "%s: %s", j->path,
		                  strerror(errno));
	end = st.st_size;
	while (end > 0) {
		if (pread(j->fd, &c, 1, end - 1) != 1)
			return hv_err_set(err, EIO, "%s: unreadable", j->path);
		if (c == '\n')
			break;
		end--;
	}
	if (end == st.st_size)
		return 0;
	if (ftruncate(j->fd, end) || fdatasync(j->fd))
		return hv_err_set(err, errno, "%s: cutting a torn record: %s",
		                  j->path, strerror(errno));
	j->cut += (size_t)(st.st_size - end);
	return 0;
}

static int jopen(hv_journal *j, hv_err *err)
{
	struct stat st;
	char dir[PATH_MAX];

	dir_of(j->path, dir, sizeof(dir));
	/* A directory that vanished (rm -r of the run dir) is made again. */
	if (mkdir(dir, 0755) && errno != EEXIST)
		return hv_err_set(err, errno, "%s: %s", dir, strerror(errno));
	j->fd = open(j->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
	             j->o.mode ? j->o.mode : 0644);
	if (j->fd < 0)
		return hv_err_set(err, errno, "%s: %s", j->path,
		                  strerror(errno));
	if (fstat(j->fd, &st))
		return hv_err_set(err, errno, "%s: %s", j->path,
		                  strerror(errno));
	j->dev = st.st_dev;
	j->ino = st.st_ino;
	return j->o.shared ? 0 : cut_torn(j, err);
}

int hv_journal_open(const hv_journal_opts *o, hv_journal **out, hv_err *err)
{
	hv_journal *j = calloc(1, sizeof(*j));
	int rc;

	*out = NULL;
	if (!j)
		return hv_err_set(err, ENOMEM, "out of memory");
	j->o = *o;
	j->fd = -1;
	if (snprintf(j->path, sizeof(j->path), "%s", o->path) >=
	    (int)sizeof(j->path)) {
		rc =
		    hv_err_set(err, ENAMETOOLONG, "%s: path too long", o->path);
		goto out;
	}
	j->o.path = j->path;
	rc = jopen(j, err);
out:
	if (rc) {
		hv_journal_close(j);
		return rc;
	}
	*out = j;
	return 0;
}

/* Start a new file, writing the head records first. */
static int restart(hv_journal *j, hv_err *err)
{
	int rc;

	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	if ((rc = jopen(j, err)))
		return rc;
	if (j->o.head) {
		j->in_head = 1;
		rc = j->o.head(j->o.head_ctx, j, err);
		j->in_head = 0;
	}
	return rc;
}

/* The path no longer names the file we hold open (removed, or the run
 * directory removed): records would go to a file nobody can find. */
static bool vanished(const hv_journal *j)
{
	struct stat st;

	return stat(j->path, &st) || st.st_dev != j->dev || st.st_ino != j->ino;
}

static int rotate(hv_journal *j, hv_err *err)
{
	char old[PATH_MAX + 4], dir[PATH_MAX];
	int rc;

	snprintf(old, sizeof(old), "%s.1", j->path);
	if (rename(j->path, old))
		return hv_err_set(err, errno, "%s: rotate: %s", j->path,
		                  strerror(errno));
	dir_of(j->path, dir, sizeof(dir));
	if ((rc = restart(j, err)))
		return rc;
	return hv_dir_sync(dir, err);
}

int hv_journal_ready(hv_journal *j, hv_err *err)
{
	struct stat st;
	int rc;

	if (j->in_head)
		return 0;
	if ((j->fd < 0 || vanished(j)) && (rc = restart(j, err)))
		return rc;
	if (j->o.rotate_bytes && !fstat(j->fd, &st) &&
	    (size_t)st.st_size > j->o.rotate_bytes && (rc = rotate(j, err)))
		return rc;
	return 0;
}

int hv_journal_append(hv_journal *j, const char *line, hv_err *err)
{
	size_t n = strlen(line);
	struct stat st;
	char *buf;
	int rc = 0;

	if (memchr(line, '\n', n))
		return hv_err_set(err, EINVAL, "journal: newline in a record");
	if ((rc = hv_journal_ready(j, err)))
		return rc;
	if (fstat(j->fd, &st))
		return hv_err_set(err, errno, "%s: %s", j->path,
		                  strerror(errno));
	buf = malloc(n + 1);
	if (!buf)
		return hv_err_set(err, ENOMEM, "out of memory");
	memcpy(buf, line, n);
	buf[n] = '\n';
	/* One write: readers never see half a line unless the disk fills. */
	rc = write_all(j->fd, buf, n + 1);
	if (!rc && fdatasync(j->fd))
		rc = -errno;
	free(buf);
	if (rc) {
		/* Put the file back as it was: whole lines only. */
		if (ftruncate(j->fd, st.st_size) == 0)
			(void)fdatasync(j->fd);
		return hv_err_set(err, -rc, "%s: %s", j->path, strerror(-rc));
	}
	return 0;
}

size_t hv_journal_cut(const hv_journal *j)
{
	return j->cut;
}

const char *hv_journal_path(const hv_journal *j)
{
	return j->path;
}

void hv_journal_close(hv_journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j);
}
