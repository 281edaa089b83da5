/* The initial process state: argc/argv (strings and layout), envp directly after argv, and
 * the auxiliary vector through getauxval() and by walking the stack past envp. Only values
 * that are the same natively and under emulation are printed. */
#include "check.h"
#include <elf.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <unistd.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv, char **envp)
{
    printf("argc = %d\n", argc);
    const char *base = strrchr(argv[0], '/');
    printf("argv[0] basename = %s\n", base ? base + 1 : argv[0]);
    for (int i = 1; i < argc; i++)
        printf("argv[%d] = [%s] (%zu bytes)\n", i, argv[i], strlen(argv[i]));
    CHECK(argv[argc] == NULL);
    CHECK(envp == argv + argc + 1);
    /* the strings sit one after another, argv then envp */
    for (int i = 0; i + 1 < argc; i++)
        CHECK(argv[i + 1] == argv[i] + strlen(argv[i]) + 1);

    /* printed sorted: some emulators reorder the environment */
    int nenv = 0;
    while (envp[nenv])
        nenv++;
    char **sorted = malloc(sizeof(char *) * (nenv + 1));
    memcpy(sorted, envp, sizeof(char *) * (nenv + 1));
    qsort(sorted, nenv, sizeof(char *), cmp_str);
    for (int i = 0; i < nenv; i++)
        printf("env: %s\n", sorted[i]);
    free(sorted);
    printf("%d environment variables\n", nenv);
    CHECK(getenv("OX86_GUEST_TEST") != NULL);
    printf("getenv(PATH) = %s\n", getenv("PATH") ? getenv("PATH") : "(unset)");
    CHECK_EQ(setenv("NEW_VAR", "new value", 1), 0);
    printf("setenv -> %s\n", getenv("NEW_VAR"));
    unsetenv("NEW_VAR");
    CHECK(getenv("NEW_VAR") == NULL);

    unsigned long page = getauxval(AT_PAGESZ);
    printf("AT_PAGESZ = %lu\n", page);
    CHECK_EQ(page, (unsigned long)sysconf(_SC_PAGESIZE));
    printf("AT_HWCAP present: %s\n", getauxval(AT_HWCAP) ? "yes" : "no");
    printf("AT_PHENT = %lu\n", getauxval(AT_PHENT));
    unsigned long phnum = getauxval(AT_PHNUM);
    const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
    int load_segments = 0, has_phdr_entry = 0, has_interp = 0;
    unsigned long bias = 0, entry = getauxval(AT_ENTRY);
    for (unsigned long i = 0; ph && i < phnum; i++) {
        load_segments += ph[i].p_type == PT_LOAD;
        has_phdr_entry |= ph[i].p_type == PT_PHDR;
        has_interp |= ph[i].p_type == PT_INTERP;
        if (ph[i].p_type == PT_PHDR)
            bias = (unsigned long)ph - ph[i].p_vaddr;
    }
    printf("program headers: %lu, %d PT_LOAD\n", phnum, load_segments);
    CHECK(load_segments >= 1);
    CHECK(entry != 0);
    /* AT_ENTRY is the program's own entry, inside one of its executable segments */
    int entry_in_text = 0;
    for (unsigned long i = 0; ph && has_phdr_entry && i < phnum; i++)
        entry_in_text |= ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) && entry >= bias + ph[i].p_vaddr &&
                         entry < bias + ph[i].p_vaddr + ph[i].p_memsz;
    CHECK(entry_in_text || !has_phdr_entry);
    /* AT_BASE is the interpreter's load address, 0 without one */
    const unsigned char *interp = (const unsigned char *)getauxval(AT_BASE);
    printf("interpreter: %s\n", has_interp ? "yes" : "no");
    CHECK_EQ(interp != NULL, has_interp);
    if (interp)
        CHECK(memcmp(interp, ELFMAG, SELFMAG) == 0);
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    CHECK(rnd != NULL);
    unsigned acc = 0;
    for (int i = 0; rnd && i < 16; i++)
        acc |= rnd[i];
    CHECK(acc != 0);
    printf("AT_RANDOM: 16 readable bytes\n");
    CHECK_EQ(getauxval(AT_UID), getuid());
    CHECK_EQ(getauxval(AT_EUID), geteuid());
    CHECK_EQ(getauxval(AT_GID), getgid());
    CHECK_EQ(getauxval(AT_EGID), getegid());
    printf("AT_SECURE = %lu\n", getauxval(AT_SECURE));
    printf("AT_CLKTCK = %lu\n", getauxval(AT_CLKTCK));
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    printf("AT_EXECFN equals argv[0]: %s\n", execfn && strcmp(execfn, argv[0]) == 0 ? "yes" : "no");

    /* walk the vector itself */
    char **p = envp;
    while (*p)
        p++;
    const Elf64_auxv_t *av = (const Elf64_auxv_t *)(p + 1);
    int found_pagesz = 0, found_entry = 0, found_random = 0, count = 0;
    for (; av->a_type != AT_NULL && count < 100; av++, count++) {
        if (av->a_type == AT_PAGESZ)
            found_pagesz = av->a_un.a_val == page;
        if (av->a_type == AT_ENTRY)
            found_entry = av->a_un.a_val == getauxval(AT_ENTRY);
        if (av->a_type == AT_RANDOM)
            found_random = 1;
    }
    CHECK(count < 100);
    CHECK(found_pagesz && found_entry && found_random);
    printf("auxv walk: AT_PAGESZ %d AT_ENTRY %d AT_RANDOM %d, terminated by AT_NULL\n", found_pagesz, found_entry,
           found_random);
    return check_done("args_env_auxv");
}
