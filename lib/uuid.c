/* uuid.c — UUID v4 from getrandom(2). The kernel CSPRNG never blocks once
 * the system is booted; a failure there is an invariant break, so abort. */
#include "uuid.h"

#include <stdlib.h>
#include <sys/random.h>

char *nm_uuid4(char out[NM_UUID_BUFSZ])
{
	unsigned char r[16];
	size_t got = 0;
	while (got < sizeof r) {
		ssize_t n = getrandom(r + got, sizeof r - got, 0);
		if (n < 0)
			abort();
		got += (size_t)n;
	}
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* version 4 */
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	static const char hex[] = "0123456789abcdef";
	char *p = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[r[i] >> 4];
		*p++ = hex[r[i] & 15];
	}
	*p = '\0';
	return out;
}
