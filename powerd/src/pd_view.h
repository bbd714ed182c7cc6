/* SPDX-License-Identifier: MIT */
/* Extract the small pd_view the policies need from a libhv snapshot and the
 * rates the collector attached to it. */
#ifndef PD_VIEW_H
#define PD_VIEW_H

#include "hv/err.h"
#include "hv/sample.h"
#include "pd_policy.h"

/* Fill v from s (arrays malloc'ed; pd_view_free releases them). Returns 0
 * or -ENOMEM. Missing rates (first sample) give NAN figures. */
int pd_view_build(const hv_snap *s, pd_view *v, hv_err *err);
void pd_view_free(pd_view *v);

#endif
