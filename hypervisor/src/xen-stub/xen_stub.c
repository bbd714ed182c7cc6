/* SPDX-License-Identifier: MIT */
/* Built when the Xen libraries are absent: the backend exists, says why it
 * cannot run, and never matches in auto-detection. */
#include <errno.h>

#include "hv/backend.h"

static int stub_probe(const hv_env *env)
{
	(void)env;
	return 0;
}

static int stub_open(const hv_env *env, const hv_backend_opts *opts,
                     void **priv, hv_err *err)
{
	(void)env;
	(void)opts;
	(void)priv;
	return hv_err_set(err, ENOTSUP,
	                  "xen backend not built (libxen-dev missing)");
}

const struct hv_backend_ops hv_xen_ops = {
    .name = "xen",
    .desc = "Xen via libxenstat/libxenctrl (not built)",
    .probe = stub_probe,
    .open = stub_open,
};
