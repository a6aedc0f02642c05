/* uuid.h — random (version 4) UUIDs in the canonical lower-case 36-char
 * form, as Python's str(uuid4()). Thread-safe. */
#ifndef NM_UUID_H
#define NM_UUID_H

#define NM_UUID_BUFSZ 37

/* Write a new UUID v4 plus NUL into out. Random bytes come from the
 * kernel's getrandom(); returns out. */
char *nm_uuid4(char out[NM_UUID_BUFSZ]);

#endif
