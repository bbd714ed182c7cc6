/* SPDX-License-Identifier: MIT */
/* Files that must survive a crash: a JSON Lines journal (append, fsync) and
 * whole files replaced atomically. The fsync rules live here once:
 *   journal   one write() per record, then fdatasync; a write that fails
 *             half way is cut back off, so the file only ever holds whole
 *             lines; a torn last line left by a crash is cut at open.
 *   replace   PATH.tmp written, fsynced, renamed over PATH, then the
 *             directory fsynced (the rename itself is durable).
 *   remove    unlink, then the directory fsynced. */
#ifndef HV_DURABLE_H
#define HV_DURABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hv/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Replace path with data (mode for a new file; 0 = 0644). On failure the
 * old file is untouched and no PATH.tmp is left. */
int hv_file_replace(const char *path, const void *data, size_t len, mode_t mode,
                    hv_err *err);
/* Remove path durably; a missing file is not an error. */
int hv_file_remove(const char *path, hv_err *err);
/* Read a whole regular file of at most max bytes into a NUL-terminated
 * buffer (free() it). -ENOENT when missing, -EFBIG when larger. */
int hv_file_read(const char *path, size_t max, char **buf, size_t *len,
                 hv_err *err);
/* fsync a directory (after a rename or unlink in it). */
int hv_dir_sync(const char *dir, hv_err *err);

typedef struct hv_journal hv_journal;

/* Called when the journal starts a new file (after a rotation, or when
 * the file or its directory vanished): write the records a reader of the
 * new file alone needs (hv-powerd: one per held knob). */
typedef int (*hv_journal_head)(void *ctx, hv_journal *j, hv_err *err);

typedef struct hv_journal_opts {
	const char *path;
	size_t rotate_bytes; /* beyond this, PATH becomes PATH.1; 0 = never */
	mode_t mode;         /* for a new file; 0 = 0644 */
	hv_journal_head head;
	void *head_ctx;
	bool shared; /* others may append too: a torn tail may be theirs, in
	              * progress, so it is not cut at open */
} hv_journal_opts;

/* Open (create) for appending. A torn last line (no newline) left by a
 * crash is cut off: hv_journal_cut() says how many bytes. */
int hv_journal_open(const hv_journal_opts *o, hv_journal **out, hv_err *err);
/* Append one record (line: one JSON object, no newline) and make it
 * durable. Returns 0 only when the whole line is on disk; otherwise the
 * file is as it was before the call. */
int hv_journal_append(hv_journal *j, const char *line, hv_err *err);
/* Start the new file now if one is due (rotation, vanished file): for a
 * writer that numbers its records, so the head records come first.
 * hv_journal_append does it too. */
int hv_journal_ready(hv_journal *j, hv_err *err);
size_t hv_journal_cut(const hv_journal *j);
const char *hv_journal_path(const hv_journal *j);
void hv_journal_close(hv_journal *j); /* NULL allowed */

#ifdef __cplusplus
}
#endif
#endif
