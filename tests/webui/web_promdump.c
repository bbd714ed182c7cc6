/* SPDX-License-Identifier: MIT */
/* Print /metrics for the hostile fixture snapshot (text, or OpenMetrics
 * with "om"), for promtool in tests/webui/promtool.sh. */
#include <stdio.h>
#include <string.h>

#include "fixture_snap.h"
#include "web.h"

int main(int argc, char **argv)
{
	hv_snap *s = fixture_snap();
	hv_collector_stats st = {.samples = 3,
	                         .last_ok_wall_ns = 1700000000123456789ll,
	                         .last_cost_ns = 1500};
	static web_powerd_info pd = {.running = 1,
	                             .held = 2,
	                             .nhwerr = 1,
	                             .hwerr = {7},
	                             .nparked = 1,
	                             .parked = {6}};
	web_prom_extra x = {
	    .st = &st, .power_budget_w = 150, .powerd_running = 1, .pd = &pd};
	web_buf b;
	if (!s)
		return 1;
	web_buf_init(&b);
	web_prom_render(s, &x,
	                argc > 1 && !strcmp(argv[1], "om")
	                    ? WEB_PROM_OPENMETRICS
	                    : WEB_PROM_TEXT,
	                &b);
	fwrite(b.p, 1, b.len, stdout);
	web_buf_free(&b);
	hv_snap_unref(s);
	return 0;
}
