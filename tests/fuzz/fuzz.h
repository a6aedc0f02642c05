/*
 * fuzz.h — what the libFuzzer targets of tests/fuzz/ share.
 *
 * Each target defines LLVMFuzzerTestOneInput (and may define
 * LLVMFuzzerInitialize). It is linked two ways (Makefile):
 *   - with clang -fsanitize=fuzzer,address,undefined: libFuzzer's main
 *     (`make fuzz`);
 *   - with the project's CC and driver.c's main, which replays files and
 *     directories given on the command line (`make fuzz-regress`).
 *
 * A target reports a broken invariant with FZ_CHECK, which prints the
 * condition and aborts: libFuzzer and ASan treat the abort as a crash and
 * keep the input. A target never aborts on bad input by itself — bad
 * input must come back as an error status, which is what is under test.
 */
#ifndef NM_FUZZ_H
#define NM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FZ_CHECK(cond, ...)                                                                  \
	do {                                                                                     \
		if (!(cond)) {                                                                       \
			fprintf(stderr, "%s:%d: fuzz invariant failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                                    \
			fputc('\n', stderr);                                                             \
			abort();                                                                         \
		}                                                                                    \
	} while (0)

#endif
