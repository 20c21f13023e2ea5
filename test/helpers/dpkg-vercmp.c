/*
 * Reference oracle for test/deb/version-dpkg.test.ts: compares version pairs with dpkg's own
 * parseversion() and dpkg_version_compare() from libdpkg, so the TypeScript port is checked
 * against the real thing rather than against a re-implementation.
 *
 * Input: one pair per line, "A<TAB>B". Output: one line per pair,
 * "<cmp> <statusA> <statusB>", where cmp is -1, 0 or 1 (or x when either version is an error)
 * and a status is ok, warn (dpkg only warns, and still compares) or err.
 */
#define LIBDPKG_VOLATILE_API 1

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dpkg/dpkg.h>
#include <dpkg/dpkg-db.h>
#include <dpkg/error.h>
#include <dpkg/version.h>

static const char *
parse(struct dpkg_version *v, const char *text)
{
	struct dpkg_error err = DPKG_ERROR_INIT;
	const char *status = "ok";

	if (parseversion(v, text, &err) < 0)
		status = err.type == DPKG_MSG_WARN ? "warn" : "err";
	dpkg_error_destroy(&err);
	return status;
}

int
main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, stdin)) >= 0) {
		struct dpkg_version a = DPKG_VERSION_INIT, b = DPKG_VERSION_INIT;
		const char *sa, *sb;
		char *tab;

		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		tab = strchr(line, '\t');
		if (tab == NULL) {
			fprintf(stderr, "dpkg-vercmp: line without a tab\n");
			return 2;
		}
		*tab = '\0';
		sa = parse(&a, line);
		sb = parse(&b, tab + 1);
		if (strcmp(sa, "err") == 0 || strcmp(sb, "err") == 0) {
			printf("x %s %s\n", sa, sb);
		} else {
			int c = dpkg_version_compare(&a, &b);
			printf("%d %s %s\n", c < 0 ? -1 : c > 0 ? 1 : 0, sa, sb);
		}
	}
	free(line);
	return ferror(stdin) ? 1 : 0;
}
