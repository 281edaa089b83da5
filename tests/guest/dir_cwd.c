/* Directories: mkdir, a tree of files listed with opendir/readdir (getdents64) and sorted
 * before printing, d_type, chdir/getcwd/fchdir, rmdir, and directory errors. */
#include "check.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list(const char *path, char names[][256], unsigned char *types, int max)
{
    DIR *d = opendir(path);
    CHECK(d != NULL);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (n < max) {
            snprintf(names[n], 256, "%s", e->d_name);
            types[n] = e->d_type;
            n++;
        }
    }
    closedir(d);
    return n;
}

int main(void)
{
    char start[PATH_MAX];
    CHECK(getcwd(start, sizeof start) != NULL);
    CHECK(start[0] == '/');

    CHECK_EQ(mkdir("tree", 0755), 0);
    CHECK_EQ(mkdir("tree", 0755), -1);
    CHECK_EQ(errno, EEXIST);
    CHECK_EQ(mkdir("tree/sub", 0755), 0);
    for (int i = 0; i < 150; i++) {
        char name[64];
        snprintf(name, sizeof name, "tree/file-%03d-%s", i, i % 2 ? "odd" : "even");
        int fd = open(name, O_CREAT | O_WRONLY, 0644);
        CHECK(fd >= 0);
        close(fd);
    }
    CHECK_EQ(symlink("sub", "tree/link"), 0);

    static char names[200][256];
    unsigned char types[200];
    int n = list("tree", names, types, 200);
    char *ptrs[200];
    int files = 0, dirs = 0, links = 0;
    for (int i = 0; i < n; i++) {
        ptrs[i] = names[i];
        files += types[i] == DT_REG;
        dirs += types[i] == DT_DIR;
        links += types[i] == DT_LNK;
    }
    qsort(ptrs, n, sizeof(char *), cmp_str);
    printf("tree has %d entries: %d files, %d dirs, %d links\n", n, files, dirs, links);
    CHECK_EQ(n, 154);
    for (int i = 0; i < n; i++)
        printf("  %s\n", ptrs[i]);

    /* chdir and getcwd */
    CHECK_EQ(chdir("tree/sub"), 0);
    char here[PATH_MAX];
    CHECK(getcwd(here, sizeof here) != NULL);
    size_t sl = strlen(start);
    CHECK(strncmp(here, start, sl) == 0);
    printf("getcwd after chdir: <start>%s\n", here + sl);
    CHECK(strcmp(here + sl, "/tree/sub") == 0);
    CHECK_EQ(chdir(".."), 0);
    CHECK(getcwd(here, sizeof here) != NULL);
    CHECK(strcmp(here + sl, "/tree") == 0);
    int fd = open(start, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    CHECK_EQ(fchdir(fd), 0);
    close(fd);
    CHECK(getcwd(here, sizeof here) != NULL);
    CHECK(strcmp(here, start) == 0);
    char small[2];
    CHECK(getcwd(small, sizeof small) == NULL);
    CHECK_EQ(errno, ERANGE);
    printf("fchdir back to start: %s; small buffer gives ERANGE\n", strcmp(here, start) == 0 ? "yes" : "no");

    CHECK_EQ(rmdir("tree"), -1);
    CHECK_EQ(errno, ENOTEMPTY);
    CHECK_EQ(chdir("tree/file-000-even"), -1);
    CHECK_EQ(errno, ENOTDIR);
    for (int i = 0; i < n; i++) {
        char path[300];
        snprintf(path, sizeof path, "tree/%s", ptrs[i]);
        if (strcmp(ptrs[i], ".") == 0 || strcmp(ptrs[i], "..") == 0)
            continue;
        if (strcmp(ptrs[i], "sub") == 0)
            CHECK_EQ(rmdir(path), 0);
        else
            CHECK_EQ(unlink(path), 0);
    }
    CHECK_EQ(rmdir("tree"), 0);
    n = list(".", names, types, 200);
    printf("after cleanup the directory has %d entries\n", n);
    return check_done("dir_cwd");
}
