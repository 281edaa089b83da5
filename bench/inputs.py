"""Generated input files for the bench/run workloads.

Each function returns the path of one input in target/bench/data, writing it
the first time it is asked for. Everything is deterministic (fixed seeds), so
every run of every column, and every machine, reads the same bytes. Delete
target/bench/data after changing a generator.
"""

import itertools
import random
import subprocess
import sys
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "target" / "bench" / "data"


def generated(name, write):
    """DATA_DIR/name, created by write(path) the first time (through a
    temporary name, so an interrupted run leaves no half-written input)."""
    path = DATA_DIR / name
    if not path.exists():
        print(f"generate: {path}", file=sys.stderr, flush=True)
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        write(tmp)
        tmp.rename(path)
    return path


def random_bytes(size):
    """`size` random bytes."""
    return generated(
        f"random-{size}.bin", lambda p: p.write_bytes(random.Random(2).randbytes(size))
    )


def sort_lines(lines):
    """`lines` lines of "word number word" for sort."""

    def write(path):
        rng = random.Random(1)
        letters = "abcdefghijklmnopqrstuvwxyz"
        words = [
            "".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(5000)
        ]
        with open(path, "w") as f:
            for _ in range(lines):
                f.write(f"{rng.choice(words)} {rng.randint(0, 10**6)} {rng.choice(words)}\n")

    return generated(f"sort-{lines}.txt", write)


def text(size):
    """`size` bytes of prose-like text: sentences of words drawn from a 20000
    word vocabulary with Zipf frequencies, and some numbers. The texts of all
    sizes are prefixes of one stream."""

    def write(path):
        rng = random.Random(3)
        syllables = "ka lo mi ne su ta ri po ve zu an el or us ith ber qua dor".split()
        vocabulary = [
            "".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(20000)
        ]
        cum_weights = list(itertools.accumulate(1 / (i + 1) for i in range(len(vocabulary))))
        lines, length = [], 0
        while length < size:
            words = rng.choices(vocabulary, cum_weights=cum_weights, k=rng.randint(4, 14))
            if rng.random() < 0.2:
                words.append(str(rng.randint(0, 99999)))
            line = " ".join(words).capitalize() + rng.choice(".,.?!;") + "\n"
            lines.append(line)
            length += len(line)
        path.write_text("".join(lines)[:size])

    return generated(f"text-{size}.txt", write)


def compressed(tool, size):
    """text(size) compressed natively by `tool` (gzip or xz, default level)."""
    source = text(size)
    suffix = {"gzip": "gz", "xz": "xz"}[tool]

    def write(path):
        with open(path, "wb") as f:
            subprocess.run([tool, "-c", str(source)], stdout=f, check=True)

    return generated(f"{source.name}.{suffix}", write)


def sql_script(rows):
    """An SQL script for sqlite3: two tables filled with `rows` customers and
    4 * `rows` orders in one transaction, an index, then joins, grouping,
    sorting, LIKE, updates, deletes and a recursive CTE, all printing results."""

    def write(path):
        rng = random.Random(4)
        cities = ["Oslo", "Lima", "Pune", "Kyiv", "Quito", "Accra", "Hanoi", "Perth", "Turin"]
        items = ["".join(rng.choice("abcdeklmnorstu") for _ in range(rng.randint(4, 9))) for _ in range(120)]
        out = [
            "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT, city TEXT, joined INTEGER);",
            "CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, item TEXT,"
            " qty INTEGER, price REAL);",
            "BEGIN;",
        ]
        for i in range(1, rows + 1):
            name = rng.choice(items).capitalize() + " " + rng.choice(items)
            out.append(
                f"INSERT INTO customers VALUES({i}, '{name}', '{rng.choice(cities)}',"
                f" {rng.randint(2000, 2025)});"
            )
        for i in range(1, 4 * rows + 1):
            out.append(
                f"INSERT INTO orders VALUES({i}, {rng.randint(1, rows)}, '{rng.choice(items)}',"
                f" {rng.randint(1, 20)}, {rng.randint(99, 99999) / 100});"
            )
        out += [
            "COMMIT;",
            "CREATE INDEX orders_customer ON orders(customer);",
            "SELECT city, count(*), sum(joined) FROM customers GROUP BY city ORDER BY city;",
            "SELECT c.name, c.city, round(sum(o.qty * o.price), 2) AS total, count(o.id)"
            " FROM customers c JOIN orders o ON o.customer = c.id"
            " GROUP BY c.id ORDER BY total DESC, c.id LIMIT 15;",
            "SELECT item, count(*), round(avg(price), 4), max(qty) FROM orders"
            " WHERE item LIKE '%ma%' OR item GLOB '*st*' GROUP BY item ORDER BY 2 DESC, item;",
            "UPDATE orders SET price = price * 1.07 WHERE qty > 12;",
            "DELETE FROM orders WHERE customer % 7 = 3;",
            "SELECT count(*), printf('%.4f', total(price * qty)), min(price), max(price) FROM orders;",
            "SELECT c.city, o.item, sum(o.qty) AS q FROM orders o JOIN customers c"
            " ON c.id = o.customer GROUP BY 1, 2 HAVING q > 60 ORDER BY q DESC, 1, 2 LIMIT 20;",
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5000)"
            " SELECT sum(x * x), group_concat(x % 7, '') FILTER (WHERE x % 250 = 0) FROM n;",
            "SELECT upper(substr(name, 1, 3)) AS p, length(group_concat(name)) FROM customers"
            " GROUP BY p ORDER BY p LIMIT 10;",
        ]
        path.write_text("\n".join(out) + "\n")

    return generated(f"sqlite-{rows}.sql", write)


# Function bodies for c_source: {k} is the function number, {j} an earlier
# function it calls, {a}..{d} random constants, {op} an operator.
C_TEMPLATES = [
    """static long f{k}(const long *v, int n, long seed)
{{
    long acc = seed ^ {a};
    for (int i = 0; i < n; i++) {{
        long x = v[i] {op} {b};
        if (x > {c})
            acc += x * {d};
        else
            acc ^= (x >> 3) + f{j}(v + 1, n / 2, acc);
    }}
    return acc;
}}
""",
    """static long f{k}(const long *v, int n, long seed)
{{
    unsigned state = (unsigned)seed;
    long out = 0;
    for (int i = 0; i < n; i++) {{
        switch ((state + (unsigned)v[i]) % 6) {{
        case 0: out += {a}; state = state * 3 + 1; break;
        case 1: out -= v[i] {op} {b}; state ^= {c}; break;
        case 2: out ^= out << 7; state += 5; break;
        case 3: out = out * {d} + i; break;
        case 4: out += f{j}(v, i, out); state >>= 1; break;
        default: state = ~state; break;
        }}
    }}
    return out + state;
}}
""",
    """static long f{k}(const long *v, int n, long seed)
{{
    double x = (double)seed / {a}.0, y = 0.0;
    for (int i = 0; i < n; i++) {{
        double t = (double)v[i] * 0.{b};
        y = y * 0.5 + t * t - {c}.25 * x;
        x = x + y / (1.0 + (t < 0 ? -t : t));
    }}
    return (long)(x * {d}) ^ f{j}(v, n - 1, (long)y);
}}
""",
    """struct s{k} {{
    int a;
    long b;
    double c;
    unsigned char tag[8];
}};

static long f{k}(const long *v, int n, long seed)
{{
    struct s{k} recs[16];
    for (int i = 0; i < 16; i++) {{
        recs[i].a = (int)(seed {op} i);
        recs[i].b = i < n ? v[i] : {a};
        recs[i].c = recs[i].a * 0.{b};
        for (int t = 0; t < 8; t++)
            recs[i].tag[t] = (unsigned char)(recs[i].b >> t);
    }}
    long sum = 0;
    for (int i = 0; i < 16; i++)
        sum += recs[i].a + recs[i].b * {c} + (long)recs[i].c + recs[i].tag[i % 8];
    return sum + f{j}(v, n / 3, sum % {d});
}}
""",
    """static long f{k}(const long *v, int n, long seed)
{{
    char buf[64];
    int len = 0;
    long x = seed;
    for (int i = 0; i < n && len < 60; i++) {{
        x = x * {a} + v[i];
        buf[len++] = (char)('a' + (unsigned long)x % 26);
        if (buf[len - 1] == 'q')
            buf[len++] = 'u';
    }}
    long h = {b};
    for (int i = 0; i < len; i++)
        h = (h ^ buf[i]) * {c} {op} {d};
    return h + f{j}(v, len, h);
}}
""",
]


def c_source(functions):
    """A C file of `functions` generated functions (about 17 lines each) from
    C_TEMPLATES, each calling an earlier one, and a main that calls them all;
    for cc1 to compile."""

    def write(path):
        rng = random.Random(5)
        out = [
            "/* Generated by bench/inputs.py for the cc1 workload. */",
            "static long f0(const long *v, int n, long seed)",
            "{",
            "    return n > 0 ? v[0] + seed : seed;",
            "}",
            "",
        ]
        for k in range(1, functions + 1):
            out.append(
                rng.choice(C_TEMPLATES).format(
                    k=k,
                    j=rng.randrange(max(0, k - 8), k),
                    a=rng.randint(1, 999),
                    b=rng.randint(1, 99),
                    c=rng.randint(1, 999),
                    d=rng.randint(2, 99),
                    op=rng.choice("+-*^|&"),
                )
            )
        out += [
            "long values[64];",
            "",
            "int main(void)",
            "{",
            "    long total = 0;",
            "    for (int i = 0; i < 64; i++)",
            "        values[i] = i * 7919 % 1000;",
        ]
        out += [f"    total += f{k}(values, 64, total);" for k in range(1, functions + 1)]
        out += ["    return (int)(total & 127);", "}"]
        path.write_text("\n".join(out) + "\n")

    return generated(f"cc1-{functions}.c", write)
