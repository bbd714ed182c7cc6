/* SPDX-License-Identifier: MIT */
/* The command table: dispatch, --help and the bash completion all come
 * from it. A new command is one row here and one cmd_*.c file. */
#include "rdt.h"

int rdt_cmd_mon(rdt_ctx *c, int argc, char **argv);
int rdt_cmd_mon_stop(rdt_ctx *c, int argc, char **argv);
int rdt_cmd_info(rdt_ctx *c, int argc, char **argv);
int rdt_cmd_alloc_show(rdt_ctx *c, int argc, char **argv);
int rdt_cmd_alloc_set(rdt_ctx *c, int argc, char **argv);
int rdt_cmd_alloc_assign(rdt_ctx *c, int argc, char **argv);
int rdt_cmd_alloc_reset(rdt_ctx *c, int argc, char **argv);
int rdt_cmd_alloc_undo(rdt_ctx *c, int argc, char **argv);
int rdt_cmd_watch(rdt_ctx *c, int argc, char **argv);

/* The first row runs when no command is given. After the handler: the
 * argument count main checks (max -1: any) and whether it opens resctrl
 * first. */
const rdt_cmd rdt_cmds[] = {
    {"mon", "",
     "LLC occupancy, memory bandwidth and IPC per domain "
     "(the default)",
     rdt_cmd_mon, 0, 0, false},
    {"mon stop", "[ID...]",
     "remove hv-rdt's monitoring groups (all, or "
     "those of these domains)",
     rdt_cmd_mon_stop, 0, -1, true},
    {"info", "", "what resctrl and the hardware counters offer", rdt_cmd_info,
     0, 0, false},
    {"alloc show", "", "classes, their schemata and their domains",
     rdt_cmd_alloc_show, 0, 0, true},
    {"alloc set", "CLASS LINE...",
     "write schemata lines into a class "
     "(made if new)",
     rdt_cmd_alloc_set, 2, -1, true},
    {"alloc assign", "CLASS ID...",
     "move domains into a class, all or "
     "none",
     rdt_cmd_alloc_assign, 2, -1, true},
    {"alloc reset", "[CLASS...]",
     "remove classes (all: and give the root "
     "the full cache)",
     rdt_cmd_alloc_reset, 0, -1, true},
    {"alloc undo", "", "undo every kept change, newest first",
     rdt_cmd_alloc_undo, 0, 0, true},
    {"watch", "[llc-max B] [mbm-max B/s] [hold S] [calm S]",
     "noisy-neighbour policy, dry run", rdt_cmd_watch, 0, -1, false},
};
const size_t rdt_ncmds = sizeof(rdt_cmds) / sizeof(rdt_cmds[0]);
