/* SPDX-License-Identifier: MIT */
/* hv-powerd's files under HVKIT_RUNDIR: a state file (JSON) and a JSON
 * Lines journal. hv-webd only reads them; each is passed through cJSON so a
 * torn or hostile line never reaches the page as raw text. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "web.h"

#define STATE_NAME "powerd.state.json"
#define JOURNAL_NAME "powerd.journal.jsonl"
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

int web_powerd_running(const char *rundir)
{
	char p[1024];
	size_t len = 0;
	path_of(rundir, STATE_NAME, p, sizeof(p));
	char *txt = slurp_tail(p, MAX_FILE, &len);
	if (!txt)
		return -1;
	int running = 0;
	cJSON *j = cJSON_Parse(txt);
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(j, "pid");
	if (cJSON_IsNumber(pid) && pid->valuedouble > 0) {
		/* kill(pid, 0): alive check only; EPERM still means alive. */
		running = kill((pid_t)pid->valuedouble, 0) == 0 || errno == EPERM;
	} else if (j) {
		running = 1;
	}
	cJSON_Delete(j);
	free(txt);
	return running;
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

	path_of(rundir, STATE_NAME, p, sizeof(p));
	char *txt = slurp_tail(p, MAX_FILE, &len);
	cJSON *j = txt ? cJSON_Parse(txt) : NULL;
	web_buf_puts(o, ",\"state\":");
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	web_buf_puts(o, s ? s : "null");
	free(s);
	cJSON_Delete(j);
	free(txt);

	/* Last max_lines complete journal lines, oldest first. */
	path_of(rundir, JOURNAL_NAME, p, sizeof(p));
	txt = slurp_tail(p, 256u << 10, &len);
	web_buf_puts(o, ",\"journal\":[");
	if (txt) {
		size_t nl = 0;
		char *start = txt;
		for (size_t i = len; i > 0; i--) {
			if (txt[i - 1] == '\n' && i != len && ++nl > max_lines) {
				start = txt + i;
				break;
			}
		}
		int first = 1;
		for (char *line = strtok(start, "\n"); line;
		     line = strtok(NULL, "\n")) {
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
