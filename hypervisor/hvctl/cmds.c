/* SPDX-License-Identifier: MIT */
/* The command table: dispatch, --help and the bash completion all come
 * from it. A new command is one row here and one cmd_*.c file. */
#include <string.h>

#include "hvctl.h"

int hvctl_cmd_cpu_list(hvctl_ctx *c, int argc, char **argv);
int hvctl_cmd_cpu_offline(hvctl_ctx *c, int argc, char **argv);
int hvctl_cmd_cpu_online(hvctl_ctx *c, int argc, char **argv);
int hvctl_cmd_freq_show(hvctl_ctx *c, int argc, char **argv);
int hvctl_cmd_freq_set(hvctl_ctx *c, int argc, char **argv);
int hvctl_cmd_idle_show(hvctl_ctx *c, int argc, char **argv);
int hvctl_cmd_idle_disable(hvctl_ctx *c, int argc, char **argv);
int hvctl_cmd_idle_enable(hvctl_ctx *c, int argc, char **argv);
int hvctl_cmd_idle_limit(hvctl_ctx *c, int argc, char **argv);
int hvctl_cmd_energy(hvctl_ctx *c, int argc, char **argv);
int hvctl_cmd_domains(hvctl_ctx *c, int argc, char **argv);
int hvctl_cmd_ras(hvctl_ctx *c, int argc, char **argv);
int hvctl_cmd_mem_offline(hvctl_ctx *c, int argc, char **argv);
int hvctl_cmd_mem_status(hvctl_ctx *c, int argc, char **argv);

const hvctl_cmd hvctl_cmds[] = {
    {"cpu list", "",
     "pCPUs: online state, package/core, MHz, governor, "
     "busy and C-state residency",
     hvctl_cmd_cpu_list, HVCTL_DEFAULT | HVCTL_O_INTERVAL, 0},
    {"cpu offline", "N", "take pCPU N offline", hvctl_cmd_cpu_offline, 0, 1},
    {"cpu online", "N", "bring pCPU N online", hvctl_cmd_cpu_online, 0, 1},
    {"freq show", "", "P-state driver, governor, limits, EPP and residency",
     hvctl_cmd_freq_show, HVCTL_DEFAULT | HVCTL_O_CPU, 0},
    {"freq set", "governor G|min KHZ|max KHZ|epp PREF",
     "change P-state policy (all online CPUs by default)", hvctl_cmd_freq_set,
     HVCTL_O_CPU, 2},
    {"idle show", "", "cpuidle driver, governor and per-CPU C-states",
     hvctl_cmd_idle_show, HVCTL_DEFAULT | HVCTL_O_CPU, 0},
    {"idle disable", "STATE", "disable a C-state (index or name)",
     hvctl_cmd_idle_disable, HVCTL_O_CPU, 1},
    {"idle enable", "STATE", "enable a C-state again", hvctl_cmd_idle_enable,
     HVCTL_O_CPU, 1},
    {"idle limit-latency", "US", "hold a PM QoS CPU latency limit until Ctrl-C",
     hvctl_cmd_idle_limit, HVCTL_O_DURATION, 1},
    {"energy", "", "energy (J) and power (W): RAPL zones, else hwmon sensors",
     hvctl_cmd_energy, HVCTL_O_INTERVAL, 0},
    {"domains", "", "domains with counters, or per-second rates over S seconds",
     hvctl_cmd_domains, HVCTL_O_INTERVAL, 0},
    {"ras", "",
     "machine-check counts per CPU and per page, EDAC counts, and "
     "hv-powerd's hwerr actions",
     hvctl_cmd_ras, HVCTL_O_INTERVAL, 0},
    {"mem offline", "ADDR",
     "soft-offline the page at physical ADDR (cannot be undone)",
     hvctl_cmd_mem_offline, 0, 1},
    {"mem status", "ADDR", "whether the page at physical ADDR is in service",
     hvctl_cmd_mem_status, 0, 1},
};
const size_t hvctl_ncmds = sizeof(hvctl_cmds) / sizeof(hvctl_cmds[0]);

static void append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	if (*s && n + 1 < len)
		snprintf(buf + n, len - n, "%s%s", n ? " " : "", s);
}

const char *hvctl_usage_line(const hvctl_cmd *k, char *buf, size_t len)
{
	const char *sp = strchr(k->name, ' ');

	buf[0] = '\0';
	if (sp && (k->flags & HVCTL_DEFAULT)) { /* "cpu [list]" */
		snprintf(buf, len, "%.*s [%s]", (int)(sp - k->name), k->name,
		         sp + 1);
	} else {
		snprintf(buf, len, "%s", k->name);
	}
	append(buf, len, k->args);
	if (k->flags & HVCTL_O_CPU)
		append(buf, len, "[--cpu LIST]");
	if (k->flags & HVCTL_O_INTERVAL)
		append(buf, len, "[--interval S]");
	if (k->flags & HVCTL_O_DURATION)
		append(buf, len, "[--duration S]");
	return buf;
}
