/* SPDX-License-Identifier: MIT */
/* The replay backend: plays back a recording made with hv_snapjson (one
 * snapshot per line, e.g. `xentop-ng --record FILE`). Each sample() is the
 * next recorded snapshot with its recorded timestamps, so the rates, and
 * every output built on them, are those of the original run. It never
 * touches the host: knobs answer -EROFS. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/backend.h"
#include "hv/snapjson.h"

struct replay {
	FILE *f;
	char *path;
	char *line;
	size_t cap;
	unsigned long lineno;
	unsigned long samples;
};

static int replay_probe(const hv_env *env)
{
	(void)env;
	return 0; /* only on request */
}

static void replay_close(void *priv)
{
	struct replay *r = priv;
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	free(r->line);
	free(r->path);
	free(r);
}

static int replay_open(const hv_env *env, const hv_backend_opts *opts,
                       void **priv, hv_err *err)
{
	(void)env;
	int rc = 0;
	struct replay *r = NULL;
	if (!opts || !opts->replay_path || !*opts->replay_path) {
		rc = hv_err_set(err, EINVAL,
		                "replay: no recording given (replay_path)");
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->path = strdup(opts->replay_path))) {
		rc = hv_err_set(err, ENOMEM, "replay: out of memory");
		goto out;
	}
	r->f = fopen(opts->replay_path, "re");
	if (!r->f) {
		int e = errno;
		rc = hv_err_set(err, e, "replay: cannot open %s: %s",
		                opts->replay_path, strerror(e));
		goto out;
	}
	*priv = r;
	r = NULL;
out:
	replay_close(r);
	return rc;
}

static int replay_sample(void *priv, hv_snap *s, hv_err *err)
{
	struct replay *r = priv;
	for (;;) {
		errno = 0;
		ssize_t n = getline(&r->line, &r->cap, r->f);
		if (n < 0) {
			if (ferror(r->f))
				return hv_err_set(err, errno ? errno : EIO,
				                  "replay: %s: read error",
				                  r->path);
			return hv_err_set(err, ENODATA,
			                  "replay: end of recording %s after "
			                  "%lu samples",
			                  r->path, r->samples);
		}
		r->lineno++;
		while (n > 0 &&
		       (r->line[n - 1] == '\n' || r->line[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue; /* blank lines are allowed */
		int rc = hv_snapjson_fill(s, r->line, (size_t)n, err);
		if (rc) {
			hv_err_prefix(err, "replay: %s:%lu", r->path,
			              r->lineno);
			return rc;
		}
		r->samples++;
		return 0;
	}
}

static int replay_knob_get(void *priv, const char *knob, char *val, size_t len,
                           hv_err *err)
{
	(void)priv;
	(void)val;
	(void)len;
	return hv_err_set(err, ENOTSUP, "replay: no knob %s in a recording",
	                  knob);
}

static int replay_knob_set(void *priv, const char *knob, const char *val,
                           hv_err *err)
{
	(void)priv;
	(void)val;
	return hv_err_set(err, EROFS, "replay: read-only, cannot set %s", knob);
}

const struct hv_backend_ops hv_replay_ops = {
    .name = "replay",
    .desc = "play back a recording (JSON Lines, hvkit.snap/1)",
    .probe = replay_probe,
    .open = replay_open,
    .sample = replay_sample,
    .knob_get = replay_knob_get,
    .knob_set = replay_knob_set,
    .close = replay_close,
};
