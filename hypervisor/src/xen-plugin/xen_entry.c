/* SPDX-License-Identifier: MIT */
/* hv-xen.so's entry point: the real Xen backend, for the same version. */
#include <string.h>

#include "hv/version.h"
#include "xen_plugin.h"

const struct hv_backend_ops *hv_xen_plugin(const char *version)
{
	return version && !strcmp(version, HV_VERSION) ? &hv_xen_ops : NULL;
}
