/*
 * driver.c — a main() for the fuzz targets without libFuzzer, so their
 * saved inputs replay with any compiler (`make fuzz-regress`, built with
 * the project's CC and, under `make check`, ASan + UBSan).
 *
 *   $(BUILD)/fuzz-replay/fuzz_<target> [FILE | DIR]...
 *
 * Each FILE, and each regular file directly inside each DIR (in name
 * order, dot files skipped), is read whole and passed once to
 * LLVMFuzzerTestOneInput. A crash, a sanitizer report or a failed FZ_CHECK
 * ends the process, which fails the make target (the Makefile then replays
 * the files one by one to name the culprit); otherwise it prints how many
 * inputs ran.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* A target without an init hook gets this no-op (the strong definition
 * in the target wins). */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (!buf) {
		fprintf(stderr, "%s: out of memory\n", path);
		return -1;
	}
	/* an exact-size copy, so ASan sees reads past the input's end */
	uint8_t *exact = malloc(n ? n : 1);
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	long ran = 0;
	int failed = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			failed = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			failed |= run_file(argv[i]) < 0;
			ran++;
			continue;
		}
		struct dirent **ents;
		int n = scandir(argv[i], &ents, NULL, by_name);
		if (n < 0) {
			perror(argv[i]);
			failed = 1;
			continue;
		}
		for (int k = 0; k < n; k++) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", argv[i], ents[k]->d_name);
			if (ents[k]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				failed |= run_file(path) < 0;
				ran++;
			}
			free(ents[k]);
		}
		free(ents);
	}
	const char *name = strrchr(argv[0], '/');
	printf("%s: %ld input(s) replayed\n", name ? name + 1 : argv[0], ran);
	return failed;
}
