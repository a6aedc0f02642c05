/*
 * text.c — see text.h. Conversions go UTF-8 → UTF-16 → lower → UTF-8
 * because ICU's case mapping works on UTF-16; short strings use stack
 * buffers so the common case does not allocate twice.
 */
#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include "mem.h"

bool nm_utf8_valid(const char *s, size_t n, size_t *ncp)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t count = 0;
	int64_t i = 0, len = (int64_t)n;
	while (i < len) {
		UChar32 c;
		if (p[i] < 0x80) {
			i++;
		} else {
			U8_NEXT(p, i, len, c);
			if (c < 0)
				return false;
		}
		count++;
	}
	if (ncp)
		*ncp = count;
	return true;
}

char *nm_utf8_lower(const char *s, size_t n, size_t *outlen)
{
	if (n > INT32_MAX / 4)
		return NULL;
	UErrorCode st = U_ZERO_ERROR;
	int32_t u16len = 0;
	UChar stack_in[512], stack_low[512];
	UChar *in = stack_in, *low = stack_low;
	char *out = NULL;

	u_strFromUTF8(in, 512, &u16len, s, (int32_t)n, &st);
	if (st == U_BUFFER_OVERFLOW_ERROR) {
		st = U_ZERO_ERROR;
		in = nm_xmalloc(sizeof(UChar) * (size_t)(u16len + 1));
		u_strFromUTF8(in, u16len + 1, &u16len, s, (int32_t)n, &st);
	}
	if (U_FAILURE(st))
		goto done;
	/* Lower-casing can grow a string (İ → i + U+0307): up to 3x in UTF-16. */
	int32_t cap = u16len * 3 + 1;
	if (cap > 512)
		low = nm_xmalloc(sizeof(UChar) * (size_t)cap);
	int32_t lowlen = u_strToLower(low, cap, in, u16len, "", &st);
	if (U_FAILURE(st))
		goto done;
	int32_t u8len = 0;
	u_strToUTF8(NULL, 0, &u8len, low, lowlen, &st);
	st = U_ZERO_ERROR;
	out = nm_xmalloc((size_t)u8len + 1);
	u_strToUTF8(out, u8len + 1, &u8len, low, lowlen, &st);
	if (U_FAILURE(st)) {
		free(out);
		out = NULL;
		goto done;
	}
	if (outlen)
		*outlen = (size_t)u8len;
done:
	if (in != stack_in)
		free(in);
	if (low != stack_low)
		free(low);
	return out;
}

int nm_utf8_prefix(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n <= max)
		return (int)n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return (int)n;
}

char *nm_text_key(const char *s, size_t n, size_t *outlen)
{
	if (n > INT32_MAX / 4)
		return NULL;
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *nfc = unorm2_getNFCInstance(&st);
	int32_t u16len = 0;
	u_strFromUTF8(NULL, 0, &u16len, s, (int32_t)n, &st);
	if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
		return NULL;
	st = U_ZERO_ERROR;
	UChar *in = nm_xmalloc(sizeof(UChar) * (size_t)(u16len + 1));
	u_strFromUTF8(in, u16len + 1, &u16len, s, (int32_t)n, &st);
	/* NFC never grows a string by more than 3x in UTF-16 */
	int32_t cap = u16len * 3 + 1;
	UChar *norm = nm_xmalloc(sizeof(UChar) * (size_t)cap);
	int32_t nlen = U_SUCCESS(st) ? unorm2_normalize(nfc, in, u16len, norm, cap, &st) : 0;
	char *out = NULL;
	if (U_SUCCESS(st)) {
		int32_t u8len = 0;
		u_strToUTF8(NULL, 0, &u8len, norm, nlen, &st);
		st = U_ZERO_ERROR;
		char *nfc8 = nm_xmalloc((size_t)u8len + 1);
		u_strToUTF8(nfc8, u8len + 1, &u8len, norm, nlen, &st);
		if (U_SUCCESS(st))
			out = nm_utf8_lower(nfc8, (size_t)u8len, outlen);
		free(nfc8);
	}
	free(in);
	free(norm);
	return out;
}
