/* SPDX-License-Identifier: MIT */
/* hv-powerd's files under HVKIT_RUNDIR (docs/arch/powerd.md): state.json,
 * replaced atomically every round, and journal.jsonl (path also given in
 * the state's "journal" field). hv-webd only reads them; each is passed
 * through cJSON so a torn or hostile line never reaches the page raw. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hv/rundir.h"
#include "web.h"

#define STATE_NAME HV_RUN_STATE
#define JOURNAL_NAME HV_RUN_JOURNAL
#define MAX_FILE (4u << 20)

static char *slurp_tail(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	if (!f)
		return NULL;
	struct stat st;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode))
		goto out;
	size_t size = (size_t)st.st_size, off = size > max ? size - max : 0;
	if (fseek(f, (long)off, SEEK_SET))
		goto out;
	buf = malloc(size - off + 1);
	if (!buf)
		goto out;
	*len = fread(buf, 1, size - off, f);
	buf[*len] = '\0';
out:
	fclose(f);
	return buf;
}

static void path_of(const char *rundir, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", rundir, name);
}

static int pid_alive(const cJSON *j)
{
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(j, "pid");
	if (!cJSON_IsNumber(pid) || pid->valuedouble <= 0)
		return 0;
	/* kill(pid, 0): alive check only; EPERM still means alive. */
	return kill((pid_t)pid->valuedouble, 0) == 0 || errno == EPERM;
}

static cJSON *read_state(const char *rundir)
{
	char p[1024];
	size_t len = 0;
	path_of(rundir, STATE_NAME, p, sizeof(p));
	char *txt = slurp_tail(p, MAX_FILE, &len);
	cJSON *j = txt ? cJSON_Parse(txt) : NULL;
	free(txt);
	if (j && !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

int web_powerd_running(const char *rundir)
{
	cJSON *j = read_state(rundir);
	int r = j ? pid_alive(j) : -1;
	cJSON_Delete(j);
	return r;
}

static unsigned cpu_list(const cJSON *a, uint32_t *out)
{
	unsigned n = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, a)
	{
		if (cJSON_IsNumber(e) && e->valuedouble >= 0 &&
		    e->valuedouble < 65536 && n < WEB_POWERD_MAX_CPUS)
			out[n++] = (uint32_t)e->valuedouble;
	}
	return n;
}

void web_powerd_read(const char *rundir, web_powerd_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->running = -1;
	pi->held = -1;
	cJSON *j = read_state(rundir);
	if (!j)
		return;
	pi->running = pid_alive(j);
	const cJSON *held = cJSON_GetObjectItemCaseSensitive(j, "held");
	if (cJSON_IsArray(held))
		pi->held = cJSON_GetArraySize(held);
	pi->nhwerr = cpu_list(
	    cJSON_GetObjectItemCaseSensitive(j, "hwerr_offlined"), pi->hwerr);
	pi->nparked =
	    cpu_list(cJSON_GetObjectItemCaseSensitive(j, "parked"), pi->parked);
	cJSON_Delete(j);
}

void web_powerd_json(const char *rundir, unsigned max_lines, web_buf *o)
{
	char p[1024];
	size_t len = 0;
	web_buf_printf(o, "{\"schema\":%d", WEB_SCHEMA);
	web_buf_puts(o, ",\"rundir\":");
	web_buf_json_str(o, rundir);
	int run = web_powerd_running(rundir);
	web_buf_puts(o, ",\"running\":");
	web_buf_puts(o, run > 0 ? "true" : run == 0 ? "false" : "null");

	cJSON *j = read_state(rundir);
	web_buf_puts(o, ",\"state\":");
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	web_buf_puts(o, s ? s : "null");
	free(s);
	/* The journal hv-powerd names in its state, else the default one. */
	const cJSON *jp =
	    j ? cJSON_GetObjectItemCaseSensitive(j, "journal") : NULL;
	if (jp && cJSON_IsString(jp) && jp->valuestring &&
	    jp->valuestring[0] == '/')
		snprintf(p, sizeof(p), "%s", jp->valuestring);
	else
		path_of(rundir, JOURNAL_NAME, p, sizeof(p));
	cJSON_Delete(j);

	/* Last max_lines complete journal lines, oldest first. */
	char *txt = slurp_tail(p, 256u << 10, &len);
	web_buf_puts(o, ",\"journal\":[");
	if (txt) {
		size_t nl = 0;
		char *start = txt;
		for (size_t i = len; i > 0; i--) {
			if (txt[i - 1] == '\n' && i != len &&
			    ++nl > max_lines) {
				start = txt + i;
				break;
			}
		}
		int first = 1;
		char *save = NULL; /* strtok_r: connection threads run this */
		for (char *line = strtok_r(start, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			cJSON *e = cJSON_Parse(line);
			char *es = e ? cJSON_PrintUnformatted(e) : NULL;
			if (es) {
				if (!first)
					web_buf_putc(o, ',');
				web_buf_puts(o, es);
				first = 0;
			}
			free(es);
			cJSON_Delete(e);
		}
	}
	free(txt);
	web_buf_puts(o, "]}");
}
