/* SPDX-License-Identifier: MIT */
/* The xen backend when Xen is built as a plugin (HVKIT_XEN_PLUGIN): the
 * real backend lives in hv-xen.so, linked against libxenctrl/libxenstat,
 * and is dlopen'ed only when asked for or probed. A KVM host installs
 * neither the plugin nor Xen's libraries; there the backend says it is
 * not installed and never matches in auto-detection. */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/backend.h"
#include "hv/version.h"
#include "xen_plugin.h"

typedef struct loaded {
	void *dl;
	const struct hv_backend_ops *ops;
	void *priv;
} loaded;

static const char *plugin_path(void)
{
	const char *p = getenv("HVKIT_XEN_PLUGIN"); /* build tree, tests */
	return p && *p ? p : HV_XEN_PLUGIN_PATH;
}

/* dlopen the plugin and take its ops; err NULL for a quiet probe. */
static int load(void **dl, const struct hv_backend_ops **ops, hv_err *err)
{
	const char *path = plugin_path();
	hv_xen_plugin_fn entry;

	*dl = NULL;
	*ops = NULL;
	if (access(path, F_OK))
		return hv_err_set(err, ENOENT,
		                  "the Xen backend is not installed (no %s; "
		                  "install the hvkit-xen package)",
		                  path);
	*dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!*dl)
		return hv_err_set(err, ELIBACC,
		                  "cannot load the Xen backend: %s", dlerror());
	entry = (hv_xen_plugin_fn)dlsym(*dl, HV_XEN_PLUGIN_ENTRY);
	*ops = entry ? entry(HV_VERSION) : NULL;
	if (!*ops) {
		dlclose(*dl);
		*dl = NULL;
		return hv_err_set(err, ELIBBAD,
		                  "%s is not a Xen backend for hvkit %s", path,
		                  HV_VERSION);
	}
	return 0;
}

static int loader_probe(const hv_env *env)
{
	const struct hv_backend_ops *ops;
	void *dl;
	int p;

	if (load(&dl, &ops, NULL) || !ops)
		return 0;
	p = ops->probe ? ops->probe(env) : 0;
	dlclose(dl);
	return p;
}

static int loader_open(const hv_env *env, const hv_backend_opts *opts,
                       void **priv, hv_err *err)
{
	loaded *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return hv_err_set(err, ENOMEM, "xen: out of memory");
	rc = load(&l->dl, &l->ops, err);
	if (!rc && !l->ops)
		rc = -ELIBBAD;
	if (rc || (rc = l->ops->open(env, opts, &l->priv, err))) {
		if (l->dl)
			dlclose(l->dl);
		free(l);
		return rc;
	}
	*priv = l;
	return 0;
}

static int loader_sample(void *priv, hv_snap *s, hv_err *err)
{
	loaded *l = priv;
	return l->ops->sample(l->priv, s, err);
}

static int loader_knob_get(void *priv, const char *knob, char *val, size_t len,
                           hv_err *err)
{
	loaded *l = priv;
	if (!l->ops->knob_get)
		return hv_err_set(err, ENOTSUP, "xen: no knob %s", knob);
	return l->ops->knob_get(l->priv, knob, val, len, err);
}

static int loader_knob_set(void *priv, const char *knob, const char *val,
                           hv_err *err)
{
	loaded *l = priv;
	if (!l->ops->knob_set)
		return hv_err_set(err, ENOTSUP, "xen: no knob %s", knob);
	return l->ops->knob_set(l->priv, knob, val, err);
}

static void loader_close(void *priv)
{
	loaded *l = priv;

	if (!l)
		return;
	if (l->ops->close)
		l->ops->close(l->priv);
	dlclose(l->dl);
	free(l);
}

const struct hv_backend_ops hv_xen_ops = {
    .name = "xen",
    .desc = "Xen via libxenctrl and dom0 files (plugin " HV_XEN_PLUGIN_PATH ")",
    .probe = loader_probe,
    .open = loader_open,
    .sample = loader_sample,
    .knob_get = loader_knob_get,
    .knob_set = loader_knob_set,
    .close = loader_close,
};
