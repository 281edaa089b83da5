/* Text conversion in libc: strtol/strtoul/strtoll/strtoull with every base, overflow (ERANGE)
 * and end pointers; atoi/atol; strtod/strtof on decimal, hex, inf/nan and denormal inputs;
 * the <ctype.h> classes of all 256 byte values in the C locale; toupper/tolower. */
#include "check.h"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

int main(void)
{
    static const char *const ints[] = { "0", "-0", "42", "  -42xyz", "+17", "0x1F", "0X1f", "077", "0b101",
                                        "9223372036854775807", "9223372036854775808", "-9223372036854775808",
                                        "-9223372036854775809", "18446744073709551615", "18446744073709551616",
                                        "zz", "", "   ", "123abc", "-", "0x", "1e5" };
    static const int bases[] = { 0, 10, 16, 8, 2, 36 };
    for (unsigned i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        printf("[%s]", ints[i]);
        for (unsigned b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
            char *end;
            errno = 0;
            long long v = strtoll(ints[i], &end, bases[b]);
            int e1 = errno;
            errno = 0;
            unsigned long long u = strtoull(ints[i], &end, bases[b]);
            int e2 = errno;
            printf(" b%d:%lld/%llu/%td%s%s", bases[b], v, u, end - ints[i], e1 == ERANGE ? "R" : "", e2 == ERANGE ? "r" : "");
        }
        errno = 0;
        long l = strtol(ints[i], NULL, 0);
        unsigned long ul = strtoul(ints[i], NULL, 0);
        printf(" strtol %ld strtoul %lu atoi %d\n", l, ul, atoi(ints[i]));
    }
    CHECK_EQ(strtol("-42", NULL, 10), -42);
    CHECK_EQ(strtoul("ff", NULL, 16), 255);
    errno = 0;
    CHECK_EQ(strtoll("9223372036854775808", NULL, 10), 0x7fffffffffffffffLL);
    CHECK_EQ(errno, ERANGE);

    static const char *const dbls[] = { "0", "-0.0", "3.14159", "1e308", "1e309", "-1e-320", "2.2250738585072011e-308",
                                        "0x1.8p3", "inf", "-Infinity", "nan", "1.7976931348623157e308", ".5", "5.",
                                        "1e", "  +6.02214076e23 mol", "0.1", "123456789012345678901234567890" };
    for (unsigned i = 0; i < sizeof(dbls) / sizeof(dbls[0]); i++) {
        char *end;
        errno = 0;
        double d = strtod(dbls[i], &end);
        int e = errno;
        float f = strtof(dbls[i], NULL);
        printf("strtod [%s] = %a (%.17g) end %td%s strtof %a\n", dbls[i], d, d, end - dbls[i], e == ERANGE ? " ERANGE" : "", f);
    }
    CHECK(strtod("0.1", NULL) == 0.1);
    CHECK(atof("2.5") == 2.5);

    printf("ctype classes for 0..255 (a=alpha d=digit x=xdigit s=space p=punct c=cntrl u=upper l=lower g=graph):\n");
    for (int c = 0; c < 256; c++) {
        char cls[12];
        int n = 0;
        if (isalpha(c)) cls[n++] = 'a';
        if (isdigit(c)) cls[n++] = 'd';
        if (isxdigit(c)) cls[n++] = 'x';
        if (isspace(c)) cls[n++] = 's';
        if (ispunct(c)) cls[n++] = 'p';
        if (iscntrl(c)) cls[n++] = 'c';
        if (isupper(c)) cls[n++] = 'u';
        if (islower(c)) cls[n++] = 'l';
        if (isgraph(c)) cls[n++] = 'g';
        cls[n] = 0;
        printf("%3d:%-5s%c", c, cls, c % 8 == 7 ? '\n' : ' ');
        CHECK_EQ(toupper(tolower(c)), islower(c) || isupper(c) ? toupper(c) : c);
    }
    char word[] = "Mixed Case 123 Text!";
    for (char *p = word; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    printf("upper: %s\n", word);
    return check_done("strtol_ctype");
}
