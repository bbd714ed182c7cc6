/* SPDX-License-Identifier: MIT */
/* Unit tests of hv-webd's pieces: formatting, exposition rules, content
 * negotiation, JSON, configuration, authentication and the RRD store. */
#include <cjson/cJSON.h>
#include <crypt.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture_snap.h"
#include "web.h"

static char *render(const hv_snap *s, enum web_prom_fmt f)
{
	web_buf b;
	hv_collector_stats st = {.samples = 2,
	                         .last_ok_wall_ns = 1700000000500000000ll};
	web_prom_extra x = {
	    .st = &st, .power_budget_w = 0, .powerd_running = -1};
	web_buf_init(&b);
	web_prom_render(s, &x, f, &b);
	assert_false(b.oom);
	return web_buf_steal(&b, NULL);
}

static void t_fixed(void **st)
{
	(void)st;
	web_buf b;
	web_buf_init(&b);
	web_buf_fixed(&b, 1500000000ull, 9);
	web_buf_putc(&b, ' ');
	web_buf_fixed(&b, 3, 0);
	web_buf_putc(&b, ' ');
	web_buf_fixed(&b, 1000, 3);
	web_buf_putc(&b, ' ');
	web_buf_fixed(&b, 1000001, 6);
	web_buf_putc(&b, ' ');
	web_buf_fixed(&b, 5, 9);
	web_buf_putc(&b, ' ');
	web_buf_prom_label(&b, "a\"b\\c\nd");
	web_buf_putc(&b, ' ');
	web_buf_json_num(&b, NAN);
	assert_string_equal(
	    b.p, "1.5 3 1 1.000001 0.000000005 a\\\"b\\\\c\\nd null");
	web_buf_free(&b);
}

static void t_prom_text(void **st)
{
	(void)st;
	hv_snap *s = fixture_snap();
	assert_non_null(s);
	char *t = render(s, WEB_PROM_TEXT);
	/* escaped label values */
	assert_non_null(strstr(t, "hv_domain_info{domain=\"web\\\"01\",uuid="));
	assert_non_null(strstr(t, "domain=\"line\\nbreak\""));
	assert_non_null(strstr(t, "domain=\"back\\\\slash\""));
	assert_non_null(strstr(t, "hv_host_info{hostname=\"host\\\"a\\\\b\""));
	/* base units and exact values */
	assert_non_null(
	    strstr(t, "hv_domain_cpu_seconds_total{domain=\"web\\\"01\",uuid="
	              "\"00000000-0000-0000-0000-000000000000\"} 2\n"));
	assert_non_null(strstr(t, "hv_host_memory_bytes 1048576\n"));
	assert_non_null(strstr(t, "hv_rapl_energy_joules_total{zone=\"package-"
	                          "0\",path=\"intel-rapl:0\"} 1.234567\n"));
	assert_non_null(
	    strstr(t, "hv_hwmon_energy_joules_total{chip=\"scmi_sensors\","
	              "sensor=\"hwmon0/energy1_input\",label=\"cl\\\"u\\\\"
	              "ster\"} 2.5\n"));
	assert_non_null(
	    strstr(t, "hv_hwmon_power_watts{chip=\"power_meter\",sensor=\""
	              "hwmon1/device/power1_average\",label=\"\"} 245\n"));
	assert_null(strstr(t, "chip=\"apm_xgene\""));
	assert_non_null(
	    strstr(t, "hv_pcpu_frequency_hertz{cpu=\"0\"} 2400000000\n"));
	assert_non_null(strstr(t,
	                       "hv_domain_block_read_time_seconds_total{domain="
	                       "\"web\\\"01\",uuid=\"00000000-0000-0000-0000-"
	                       "000000000000\",device=\"vda\"} 0.0000015\n"));
	assert_non_null(strstr(t, "hv_pcpu_online{cpu=\"1\"} 0\n"));
	/* missing values are omitted, not 0 */
	assert_null(strstr(t, "hv_host_memory_free_bytes"));
	assert_null(strstr(t, "hv_domain_cpu_seconds_total{domain=\"plain\""));
	assert_null(strstr(
	    t, "hv_pcpu_cstate_residency_seconds_total{cpu=\"0\",state=\"C1"));
	assert_non_null(
	    strstr(t, "hv_domain_stale{domain=\"plain\",uuid=\"00000000-0000-"
	              "0000-0000-000000000003\"} 1\n"));
	/* one TYPE per family, no timestamps, no NaN in counters */
	char *p = t;
	int types = 0;
	while ((p = strstr(p, "# TYPE hv_domain_cpu_seconds_total"))) {
		types++;
		p++;
	}
	assert_int_equal(types, 1);
	assert_null(strstr(t, "NaN"));
	assert_null(strstr(t, "{}"));
	assert_int_equal(t[strlen(t) - 1], '\n');
	assert_null(strstr(t, "# EOF"));
	free(t);
	hv_snap_unref(s);
}

static void t_prom_om(void **st)
{
	(void)st;
	hv_snap *s = fixture_snap();
	char *t = render(s, WEB_PROM_OPENMETRICS);
	assert_non_null(strstr(
	    t, "# TYPE hv_domain_cpu_seconds counter\n# UNIT "
	       "hv_domain_cpu_seconds seconds\n# HELP hv_domain_cpu_seconds "));
	assert_non_null(strstr(t, "\nhv_domain_cpu_seconds_total{"));
	assert_non_null(strstr(t, "# TYPE hv_domain info\n"));
	assert_non_null(strstr(t, "\nhv_domain_info{"));
	size_t n = strlen(t);
	assert_true(n > 6 && !strcmp(t + n - 6, "# EOF\n"));
	free(t);
	/* no snapshot yet: still a valid, terminated exposition */
	t = render(NULL, WEB_PROM_OPENMETRICS);
	assert_non_null(strstr(t, "hv_collector_success 1\n"));
	assert_null(strstr(t, "hv_domain"));
	free(t);
	hv_snap_unref(s);
}

static void t_negotiate(void **st)
{
	(void)st;
	assert_int_equal(web_prom_negotiate(NULL), WEB_PROM_TEXT);
	assert_int_equal(web_prom_negotiate("text/plain"), WEB_PROM_TEXT);
	assert_int_equal(
	    web_prom_negotiate(
	        "application/openmetrics-text;version=1.0.0,application/"
	        "openmetrics-text;version=0.0.1;q=0.75,text/"
	        "plain;version=0.0.4;q=0.5,*/*;q=0.1"),
	    WEB_PROM_OPENMETRICS);
	assert_int_equal(
	    web_prom_negotiate("application/openmetrics-text;q=0,text/plain"),
	    WEB_PROM_TEXT);
	assert_string_equal(web_prom_ctype(WEB_PROM_TEXT),
	                    "text/plain; version=0.0.4; charset=utf-8");
}

static cJSON *parse_ok(web_buf *b)
{
	assert_false(b->oom);
	cJSON *j = cJSON_Parse(b->p);
	assert_non_null(j);
	assert_int_equal(cJSON_GetObjectItem(j, "schema")->valueint,
	                 WEB_SCHEMA);
	return j;
}

static void t_json(void **st)
{
	(void)st;
	hv_snap *s = fixture_snap();
	web_buf b;
	hv_err e = {0};
	web_buf_init(&b);
	web_json_domains(s, &b);
	cJSON *j = parse_ok(&b);
	cJSON *doms = cJSON_GetObjectItem(j, "domains");
	assert_int_equal(cJSON_GetArraySize(doms), 4);
	cJSON *d0 = cJSON_GetArrayItem(doms, 0);
	assert_string_equal(cJSON_GetObjectItem(d0, "name")->valuestring,
	                    "web\"01");
	assert_string_equal(cJSON_GetObjectItem(d0, "key")->valuestring, "100");
	assert_true(
	    cJSON_IsNull(cJSON_GetObjectItem(d0, "cpu_pct"))); /* no rates */
	assert_true(cJSON_IsNull(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(doms, 3), "cpu_s")));
	cJSON_Delete(j);
	web_buf_free(&b);

	assert_int_equal(web_json_domain(s, "line\nbreak", &b, &e), 0);
	j = parse_ok(&b);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(
	                     cJSON_GetObjectItem(j, "domain"), "vcpu")),
	                 2);
	cJSON_Delete(j);
	web_buf_free(&b);
	assert_int_equal(web_json_domain(s, "102", &b, &e), 0); /* by key */
	web_buf_free(&b);
	assert_int_equal(web_json_domain(s, "nope", &b, &e), -ENOENT);
	web_buf_free(&b);

	web_json_pcpus(s, &b);
	cJSON_Delete(parse_ok(&b));
	web_buf_free(&b);
	web_json_live(s, &b);
	cJSON_Delete(parse_ok(&b));
	assert_null(strchr(b.p, '\n')); /* one SSE data line */
	web_buf_free(&b);
	web_json_host(s, NULL, &b);
	j = parse_ok(&b);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(j, "host"), "mem_free_bytes")));
	{ /* RAPL is there: it is the source; hwmon sensors are listed */
		cJSON *ho = cJSON_GetObjectItem(j, "host");
		cJSON *hw = cJSON_GetObjectItem(ho, "hwmon");
		assert_string_equal(
		    cJSON_GetObjectItem(ho, "energy_source")->valuestring,
		    "rapl");
		assert_int_equal(cJSON_GetArraySize(hw), 3);
		assert_string_equal(
		    cJSON_GetObjectItem(cJSON_GetArrayItem(hw, 0), "label")
		        ->valuestring,
		    "cl\"u\\ster");
		assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(hw, 1),
		                                "power_watts")
		                ->valuedouble == 245.0);
		assert_true(cJSON_IsNull(cJSON_GetObjectItem(
		    cJSON_GetArrayItem(hw, 2), "power_watts")));
	}
	cJSON_Delete(j);
	web_buf_free(&b);

	hv_snap *ring[1] = {s};
	assert_int_equal(web_json_ring_history(ring, 1, "plain", 600, &b, &e),
	                 0);
	cJSON_Delete(parse_ok(&b));
	web_buf_free(&b);
	web_json_error(&b, 404, "no \"x\"");
	j = parse_ok(&b);
	assert_int_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "status")
	        ->valueint,
	    404);
	cJSON_Delete(j);
	web_buf_free(&b);
	hv_snap_unref(s);
}

static void t_config(void **st)
{
	(void)st;
	web_config c;
	hv_err e = {0};
	char path[] = "/tmp/hvweb-confXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *txt =
	    "# comment\nlisten = [::1]:9000\ncontrol = yes\n"
	    "auth_user = admin   # trailing\nauth_hash = $6$ab#c$xyz\n"
	    "period = 0.5\nrrd_step = 10\ntheme = dark\n";
	assert_int_equal(write(fd, txt, strlen(txt)), (ssize_t)strlen(txt));
	close(fd);
	web_config_defaults(&c);
	assert_string_equal(c.listen_addr, "127.0.0.1");
	assert_int_equal(c.port, WEB_DEFAULT_PORT);
	assert_int_equal(web_config_load(&c, path, &e), 0);
	assert_string_equal(c.listen_addr, "::1");
	assert_int_equal(c.port, 9000);
	assert_true(c.control);
	assert_string_equal(c.auth_user, "admin");
	assert_string_equal(c.auth_hash, "$6$ab#c$xyz");
	assert_true(fabs(c.period_s - 0.5) < 1e-9);
	assert_int_equal(web_config_set(&c, "bogus", "1", &e), -EINVAL);
	assert_int_equal(web_config_set(&c, "period", "0.001", &e), -EINVAL);
	assert_int_equal(web_config_set(&c, "theme", "pink", &e), -EINVAL);
	assert_int_equal(web_parse_listen(&c, "127.0.0.2:70000", &e), -EINVAL);
	assert_int_equal(web_parse_listen(&c, "127.0.0.2:8080", &e), 0);
	assert_string_equal(c.listen_addr, "127.0.0.2");
	unlink(path);
}

static void t_auth(void **st)
{
	(void)st;
	web_config c;
	struct crypt_data cd;
	char b64[128];
	web_config_defaults(&c);
	memset(&cd, 0, sizeof(cd));
	const char *h = crypt_r("s3cret", "$6$hvkitsalt$", &cd);
	assert_non_null(h);
	snprintf(c.auth_user, sizeof(c.auth_user), "admin");
	snprintf(c.auth_hash, sizeof(c.auth_hash), "%s", h);
	/* "admin:s3cret" and "admin:wrong" in base64 */
	snprintf(b64, sizeof(b64), "Basic YWRtaW46czNjcmV0");
	assert_true(web_auth_check(&c, b64));
	assert_false(web_auth_check(&c, "Basic YWRtaW46d3Jvbmc="));
	assert_false(web_auth_check(&c, "Basic !!!"));
	assert_false(web_auth_check(&c, NULL));
	assert_false(
	    web_auth_check(&c, "Bearer s3cret")); /* no token configured */
	memset(&cd, 0, sizeof(cd));
	snprintf(c.token_hash, sizeof(c.token_hash), "%s",
	         crypt_r("tok-123", "$6$othersalt$", &cd));
	assert_true(web_auth_check(&c, "Bearer tok-123"));
	assert_false(web_auth_check(&c, "Bearer tok-124"));
	char out[16];
	assert_int_equal(web_b64_decode("aGk=", out, sizeof(out)), 2);
	assert_string_equal(out, "hi");
	assert_true(web_ct_equal("abc", "abc"));
	assert_false(web_ct_equal("abc", "abd"));
	assert_false(web_ct_equal("abc", "ab"));
}

static void t_rrd(void **st)
{
	(void)st;
	char dir[] = "/tmp/hvweb-rrdXXXXXX";
	assert_non_null(mkdtemp(dir));
	web_config c;
	web_config_defaults(&c);
	snprintf(c.rrd_dir, sizeof(c.rrd_dir), "%s", dir);
	web_rrd *r = NULL;
	hv_err e = {0};
	assert_int_equal(web_rrd_open(&c, NULL, &r, &e), 0);
	/* Step-aligned samples so one whole 10 s step is known. */
	int64_t now = (int64_t)(time(NULL) / 10 * 10 - 10) * 1000000000ll;
	hv_snap *a = fixture_snap_at(now - 20000000000ll, 1);
	hv_snap *b = fixture_snap_at(now - 10000000000ll, 2);
	hv_snap *c3 = fixture_snap_at(now, 3);
	assert_int_equal(web_rrd_write(r, a, b, &e), 0);
	assert_int_equal(web_rrd_write(r, b, c3, &e), 0);
	char path[1024];
	snprintf(path, sizeof(path), "%s/host.rrd", dir);
	assert_int_equal(access(path, R_OK), 0);
	snprintf(path, sizeof(path),
	         "%s/dom-00000000-0000-0000-0000-000000000001.rrd", dir);
	assert_int_equal(access(path, R_OK), 0);
	web_buf o;
	web_buf_init(&o);
	assert_int_equal(
	    web_rrd_fetch_json(r, c3, "line\nbreak", 3600, "AVERAGE", &o, &e),
	    0);
	cJSON *j = parse_ok(&o);
	cJSON *cpu =
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "series"), "cpu_pct");
	assert_true(cJSON_GetArraySize(cpu) > 100);
	/* domain "line\nbreak" (i=1) ran 4 s of CPU per 10 s step: 40 % */
	int seen = 0;
	cJSON *v;
	cJSON_ArrayForEach(v, cpu) if (cJSON_IsNumber(v))
	{
		assert_true(fabs(v->valuedouble - 40.0) < 0.5);
		seen++;
	}
	assert_true(seen >= 1);
	cJSON_Delete(j);
	web_buf_free(&o);
	assert_int_equal(web_rrd_fetch_json(r, c3, "nope", 3600, "MAX", &o, &e),
	                 -ENOENT);
	web_buf_free(&o);
	unsigned char *img = NULL;
	size_t len = 0;
	assert_int_equal(
	    web_rrd_graph(r, c3, "plain", "cpu", 3600, false, &img, &len, &e),
	    0);
	assert_true(len > 8 && !memcmp(img + 1, "PNG", 3));
	free(img);
	assert_int_equal(
	    web_rrd_graph(r, c3, NULL, "power", 3600, true, &img, &len, &e), 0);
	assert_non_null(memmem(img, len, "<svg", 4));
	free(img);
	assert_int_equal(
	    web_rrd_graph(r, c3, NULL, "bogus", 3600, true, &img, &len, &e),
	    -EINVAL);
	web_rrd_close(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	hv_snap_unref(c3);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void t_hist(void **st)
{
	(void)st;
	web_hist *h = NULL;
	hv_err e = {0};
	web_buf o;
	assert_int_equal(web_hist_new(2, &h, &e), 0);
	hv_snap *a = fixture_snap_at(1700000000000000000ll, 1);
	hv_snap *b = fixture_snap_at(1700000001000000000ll, 2);
	hv_snap *c = fixture_snap_at(1700000002000000000ll, 3);
	web_hist_add(h, a);
	web_hist_add(h, b);
	web_hist_add(h, c); /* ring of 2: a falls out */
	web_buf_init(&o);
	assert_int_equal(web_hist_json(h, c, "plain", 600, &o, &e), 0);
	cJSON *j = parse_ok(&o);
	cJSON *t = cJSON_GetObjectItem(j, "t");
	assert_int_equal(cJSON_GetArraySize(t), 2);
	assert_true(fabs(cJSON_GetArrayItem(t, 0)->valuedouble - 1700000001.0) <
	            1e-3);
	cJSON *mem =
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "series"), "mem_bytes");
	assert_true(
	    fabs(cJSON_GetArrayItem(mem, 1)->valuedouble - 1073741824.0) < 1);
	/* no rates attached outside a collector: null, never 0 */
	assert_true(cJSON_IsNull(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "series"), "cpu_pct"),
	    0)));
	cJSON_Delete(j);
	web_buf_free(&o);
	assert_int_equal(web_hist_json(h, c, NULL, 1.5, &o, &e),
	                 0); /* host, last 1.5 s */
	j = parse_ok(&o);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "t")), 2);
	cJSON_Delete(j);
	web_buf_free(&o);
	assert_int_equal(web_hist_json(h, c, "nope", 600, &o, &e), -ENOENT);
	web_buf_free(&o);
	web_hist_free(h);
	hv_snap_unref(a);
	hv_snap_unref(b);
	hv_snap_unref(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_fixed),   cmocka_unit_test(t_prom_text),
	    cmocka_unit_test(t_prom_om), cmocka_unit_test(t_negotiate),
	    cmocka_unit_test(t_json),    cmocka_unit_test(t_config),
	    cmocka_unit_test(t_auth),    cmocka_unit_test(t_rrd),
	    cmocka_unit_test(t_hist),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
