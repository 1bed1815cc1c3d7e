/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A static test program exec'd through banger-jailer: writes what it received into /probe.out
 * inside the jail, one "key=value" per line, for tests/integration/jailer-*.sh to compare with
 * the contract. "--probe-sleep S" then sleeps, "--probe-exit N" sets its exit status. */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

extern char **environ;

static void copy_lines(FILE *out, const char *path, const char *prefix, const char *only)
{
	FILE *f = fopen(path, "re");
	char line[4096];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!only || strncmp(line, only, strlen(only)) == 0)
			fprintf(out, "%s%s", prefix, line);
	fclose(f);
}

int main(int argc, char **argv)
{
	int sleep_s = 0, exit_code = 0, n;
	gid_t groups[64];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	struct rlimit rl;
	struct stat st;
	char cwd[4096];
	FILE *out;

	/* Count descriptors first, before this program opens any of its own. */
	int fds[1024], n_fds = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			fds[n_fds++] = fd;

	out = fopen("/probe.out.tmp", "we");
	if (!out)
		return 99;
	fprintf(out, "argc=%d\n", argc);
	for (int i = 0; i < argc; i++) {
		fprintf(out, "argv=%s\n", argv[i]);
		if (i + 1 < argc && strcmp(argv[i], "--probe-sleep") == 0)
			sleep_s = atoi(argv[i + 1]);
		if (i + 1 < argc && strcmp(argv[i], "--probe-exit") == 0)
			exit_code = atoi(argv[i + 1]);
	}
	n = 0;
	for (char **e = environ; e && *e; e++)
		n++;
	fprintf(out, "envc=%d\n", n);
	for (char **e = environ; e && *e; e++)
		fprintf(out, "env=%s\n", *e);
	for (int i = 0; i < n_fds; i++) {
		struct stat fst;
		fprintf(out, "fd=%d\n", fds[i]);
		if (fstat(fds[i], &fst) == 0 && S_ISCHR(fst.st_mode))
			fprintf(out, "fdchr=%d:%u:%u\n", fds[i], major(fst.st_rdev),
				minor(fst.st_rdev));
	}
	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	fprintf(out, "uid=%u,%u,%u\ngid=%u,%u,%u\n", ru, eu, su, rg, eg, sg);
	n = getgroups(64, groups);
	fprintf(out, "groupc=%d\n", n);
	for (int i = 0; i < n; i++)
		fprintf(out, "group=%u\n", groups[i]);
	fprintf(out, "pid=%d\nppid=%d\nsid=%d\npgid=%d\n", getpid(), getppid(), getsid(0),
		getpgid(0));
	fprintf(out, "cwd=%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	getrlimit(RLIMIT_NOFILE, &rl);
	fprintf(out, "nofile=%llu,%llu\n", (unsigned long long)rl.rlim_cur,
		(unsigned long long)rl.rlim_max);
	getrlimit(RLIMIT_FSIZE, &rl);
	if (rl.rlim_cur == RLIM_INFINITY)
		fprintf(out, "fsize=unlimited\n");
	else
		fprintf(out, "fsize=%llu,%llu\n", (unsigned long long)rl.rlim_cur,
			(unsigned long long)rl.rlim_max);
	if (stat("/", &st) == 0)
		fprintf(out, "root=%llu:%llu\n", (unsigned long long)st.st_dev,
			(unsigned long long)st.st_ino);
	fprintf(out, "old_root=%s\n", access("/old_root", F_OK) == 0 ? "present" : "absent");
	/* Only there when the test staged a /proc in the jail. */
	char ns[256];
	ssize_t len = readlink("/proc/self/ns/net", ns, sizeof(ns) - 1);
	if (len > 0)
		fprintf(out, "netns=%.*s\n", (int)len, ns);
	copy_lines(out, "/proc/self/status", "status=", NULL);
	copy_lines(out, "/proc/self/mountinfo", "mnt=", NULL);
	copy_lines(out, "/proc/self/cgroup", "cgroup=", NULL);
	fprintf(out, "end=1\n");
	fclose(out);
	rename("/probe.out.tmp", "/probe.out");

	if (sleep_s > 0)
		sleep((unsigned)sleep_s);
	return exit_code;
}
