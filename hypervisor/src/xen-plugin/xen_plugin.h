/* SPDX-License-Identifier: MIT */
/* The one symbol hv-xen.so exports. The plugin carries its own copy of the
 * libhv code it uses, so it must come from the same hvkit version as the
 * tool that loads it (the snapshot layout is shared): the entry point
 * answers NULL for any other version. */
#ifndef HV_XEN_PLUGIN_H
#define HV_XEN_PLUGIN_H

#include "hv/backend.h"

#define HV_XEN_PLUGIN_ENTRY "hv_xen_plugin"
typedef const struct hv_backend_ops *(*hv_xen_plugin_fn)(const char *version);
__attribute__((visibility("default"))) const struct hv_backend_ops *
hv_xen_plugin(const char *version);

#endif
