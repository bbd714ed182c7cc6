/* SPDX-License-Identifier: MIT */
/* Authentication for control actions: HTTP Basic checked against a
 * crypt(3) hash (e.g. SHA-512 "$6$"), or a bearer token checked against a
 * crypt(3) hash of the token. Secrets are never stored in clear. */
#include <crypt.h>
#include <string.h>

#include "web.h"

int web_ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = la > lb ? la : lb;
	unsigned char d = (unsigned char)(la != lb);
	/* Time depends only on the longer length, never on where they differ. */
	for (size_t i = 0; i < n; i++) {
		unsigned char ca = i < la ? (unsigned char)a[i] : 0;
		unsigned char cb = i < lb ? (unsigned char)b[i] : 0;
		d |= (unsigned char)(ca ^ cb);
	}
	return d == 0;
}

int web_b64_decode(const char *in, char *out, size_t outlen)
{
	unsigned acc = 0;
	int bits = 0;
	size_t n = 0;
	for (; *in && *in != '='; in++) {
		int v;
		char ch = *in;
		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z')
			v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9')
			v = ch - '0' + 52;
		else if (ch == '+')
			v = 62;
		else if (ch == '/')
			v = 63;
		else
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= outlen)
				return -1;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	return (int)n;
}

static int hash_ok(const char *secret, const char *hash)
{
	struct crypt_data cd;
	memset(&cd, 0, sizeof(cd));
	if (!hash[0] || hash[0] != '$') /* only modern, salted schemes */
		return 0;
	const char *h = crypt_r(secret, hash, &cd);
	return h && h[0] != '*' && web_ct_equal(h, hash);
}

int web_auth_check(const web_config *c, const char *authz)
{
	if (!authz)
		return 0;
	if (!strncmp(authz, "Bearer ", 7) && c->token_hash[0])
		return hash_ok(authz + 7, c->token_hash);
	if (!strncmp(authz, "Basic ", 6) && c->auth_user[0] &&
	    c->auth_hash[0]) {
		char dec[256] = {0};
		if (strlen(authz + 6) > 340 ||
		    web_b64_decode(authz + 6, dec, sizeof(dec)) < 0)
			return 0;
		char *colon = strchr(dec, ':');
		if (!colon)
			return 0;
		*colon = '\0';
		int user_ok = web_ct_equal(dec, c->auth_user);
		int pass_ok = hash_ok(colon + 1, c->auth_hash);
		memset(dec, 0, sizeof(dec));
		return user_ok && pass_ok;
	}
	return 0;
}
