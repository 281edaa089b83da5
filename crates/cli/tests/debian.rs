//! Acceptance tests with real Debian programs (dynamically linked, from the distribution's
//! packages): coreutils, bash and dash scripts, grep, sed, gawk, gzip/bzip2/xz round trips,
//! python3, perl, lua5.4, sqlite3, bc and gcc's cc1. Each case runs natively and under ox86
//! (both engines unless the case says otherwise) with the same arguments, stdin, environment
//! and working directory; stdout, stderr and the exit status must match.
//!
//! A program that is not installed is skipped with a message naming its package
//! (`tests/run` installs them all). A case listed as a known gap is expected to fail for a
//! reason outside the system-call layer; its result is printed either way, and a known gap
//! that starts passing is reported so that the entry can go.
//!
//! `OX86_ENGINES` chooses the engines (default `interp,jit`), `OX86_DEBIAN_FILTER` (comma
//! separated substrings) the cases.

mod common;

use common::{run, Outcome};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

/// Time limit for one run.
const LIMIT: Duration = Duration::from_secs(180);
/// The environment of every run (native and ox86 alike), besides HOME.
const ENV: &[(&str, &str)] = &[
    ("PATH", "/usr/bin:/bin"),
    ("LANG", "C"),
    ("LC_ALL", "C"),
    ("TZ", "UTC"),
    ("PYTHONDONTWRITEBYTECODE", "1"),
];

/// One program run compared between native and ox86.
struct Case {
    /// Label in reports.
    name: &'static str,
    /// Debian package that provides the program.
    package: &'static str,
    /// Absolute path of the program.
    program: String,
    /// Arguments after argv[0].
    args: Vec<String>,
    /// Bytes on stdin (empty: /dev/null).
    stdin: Vec<u8>,
    /// Run under the interpreter too (false for the longest runs).
    interp: bool,
}

impl Case {
    fn new(name: &'static str, package: &'static str, program: &str, args: &[&str]) -> Case {
        Case {
            name,
            package,
            program: program.to_string(),
            args: args.iter().map(|s| s.to_string()).collect(),
            stdin: Vec::new(),
            interp: true,
        }
    }

    fn stdin(mut self, text: &str) -> Case {
        self.stdin = text.as_bytes().to_vec();
        self
    }

    fn jit_only(mut self) -> Case {
        self.interp = false;
        self
    }
}

/// Cases expected to fail, with the reason (an instruction or feature ox86 lacks elsewhere).
const KNOWN_GAPS: &[(&str, &str)] = &[];

/// A directory with the files the cases read, the same for every run.
fn fixture() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("debian");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("tree/sub")).expect("create the fixture directory");
    let words = "pear 3\napple 10\nfig 7\napple 10\nbanana 2\ncherry 7\nfig 7\nkiwi 1\n";
    fs::write(dir.join("words.txt"), words).expect("write words.txt");
    let mut lines = String::new();
    for i in 0..2000u32 {
        let x = i.wrapping_mul(2_654_435_761) % 100_000;
        let _ = writeln!(lines, "{x}:user{}:{}:/home/u{}", i % 37, x % 13, i);
    }
    fs::write(dir.join("table.txt"), &lines).expect("write table.txt");
    let blob: Vec<u8> = (0..120_000u32)
        .map(|i| (i.wrapping_mul(i) >> 7) as u8 ^ (i % 251) as u8)
        .collect();
    fs::write(dir.join("blob.bin"), &blob).expect("write blob.bin");
    for (name, text) in [
        ("tree/a.txt", "alpha\n"),
        ("tree/b.log", "bravo bravo\n"),
        ("tree/sub/c", ""),
    ] {
        fs::write(dir.join(name), text).expect("write a tree file");
    }
    let _ = std::os::unix::fs::symlink("a.txt", dir.join("tree/link"));
    // Fixed mtimes, directories last (writing into them changes theirs).
    let at = |secs: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    for (name, secs) in [
        ("tree/a.txt", 1_000_000_000),
        ("tree/b.log", 1_100_000_000),
        ("tree/sub/c", 1_200_000_000),
        ("tree/sub", 1_300_000_000),
    ] {
        fs::File::options()
            .write(true)
            .open(dir.join(name))
            .or_else(|_| fs::File::open(dir.join(name)))
            .and_then(|f| f.set_modified(at(secs)))
            .expect("set a fixed mtime");
    }
    for (name, text) in SCRIPTS {
        fs::write(dir.join(name), text).expect("write a script");
    }
    fs::write(dir.join("prog.c"), C_SOURCE).expect("write prog.c");
    // Compressed inputs made natively, for the decompression cases.
    for (tool, args, out) in [
        ("/usr/bin/gzip", &["-9", "-n", "-c"][..], "blob.bin.gz"),
        ("/usr/bin/bzip2", &["-9", "-c"][..], "blob.bin.bz2"),
        ("/usr/bin/xz", &["-T1", "-6", "-c"][..], "blob.bin.xz"),
    ] {
        if Path::new(tool).exists() {
            let o = Command::new(tool)
                .args(args)
                .arg(dir.join("blob.bin"))
                .output()
                .expect("run a compressor natively");
            fs::write(dir.join(out), o.stdout).expect("write compressed input");
        }
    }
    dir
}

/// Script files written into the fixture directory.
const SCRIPTS: &[(&str, &str)] = &[
    (
        "script.sh",
        r#"
square() { echo $(( $1 * $1 )); }
total=0
for i in 1 2 3 4 5 6 7 8 9 10; do
    total=$(( total + $(square $i) ))
done
echo "sum of squares: $total"
i=0
while [ $i -lt 5 ]; do
    case $i in
        0|2|4) kind=even ;;
        *) kind=odd ;;
    esac
    printf '%d is %s\n' "$i" "$kind"
    i=$((i + 1))
done
count=$(sort words.txt | uniq | wc -l)
echo "distinct lines: $count"
sort -k2,2n -k1,1 words.txt | head -n 3 | tr 'a-z' 'A-Z'
cut -d: -f2 table.txt | sort | uniq -c | sort -k1,1nr -k2 | head -n 4
{ echo one; echo two; } | while read -r w; do echo "read $w"; done
x=$(echo "nested $(echo "substitution")")
echo "$x"
echo "exit status of false: $(false; echo $?)"
exit 3
"#,
    ),
    (
        "script.py",
        r#"
import hashlib, json, re, math, fractions, decimal, collections

print(2 ** 521 - 1)
print(math.factorial(60))
print(sum(1 / k for k in range(1, 10001)))
print(repr(0.1 + 0.2), math.sqrt(2), math.exp(1), math.atan2(1, 3))
print(fractions.Fraction(355, 113) - fractions.Fraction(22, 7))
decimal.getcontext().prec = 60
print(decimal.Decimal(1) / decimal.Decimal(7))
data = {"name": "ox86", "values": [1, 2.5, None, True], "nested": {"k": "v"}}
text = json.dumps(data, sort_keys=True)
print(text)
assert json.loads(text) == data
words = re.findall(r"\b[a-z]+\b", open("words.txt").read())
print(collections.Counter(words).most_common(3))
print(re.sub(r"(\d+)", lambda m: str(int(m.group(1)) * 2), "a1 b22 c333"))
for algo in ("md5", "sha1", "sha256", "sha512", "blake2b"):
    print(algo, hashlib.new(algo, open("blob.bin", "rb").read()).hexdigest())
print(sorted({x * x % 97 for x in range(200)})[:10])
print("%.10f %e %g" % (math.pi, 1e-300 * 1e-10, 123456789.0))
"#,
    ),
    (
        "script.pl",
        r#"
use strict; use warnings;
my %count;
open(my $fh, '<', 'table.txt') or die;
while (my $line = <$fh>) {
    chomp $line;
    my ($x, $user, $m, $home) = split /:/, $line;
    $count{$user} += $x;
}
close $fh;
for my $u ((sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count)[0..4]) {
    printf "%-8s %d\n", $u, $count{$u};
}
my $s = join ',', map { $_ ** 2 } grep { $_ % 3 == 0 } 1..30;
print "$s\n";
(my $t = "Hello, World") =~ tr/a-zA-Z//cd;
print lc($t), " ", length($t), "\n";
printf "%.6f %.3e\n", atan2(1, 1) * 4, exp(-20);
my @sorted = sort { $a <=> $b } (5, 3, 11, 1, 8);
print "@sorted\n";
"#,
    ),
    (
        "script.lua",
        r#"
local t = {}
for line in io.lines("words.txt") do
  local w, n = line:match("(%a+) (%d+)")
  t[w] = (t[w] or 0) + tonumber(n)
end
local keys = {}
for k in pairs(t) do keys[#keys + 1] = k end
table.sort(keys)
for _, k in ipairs(keys) do print(k, t[k]) end
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print(fib(24), 2^53, math.maxinteger, 7 // 2, 7 % -3, 1e308 * 10)
print(string.format("%.12f %q", math.pi, "a\nb"))
print(("x"):rep(5, "-"), ("Hello"):upper(), #"ox86")
local co = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i * i) end end)
print(co(), co(), co())
"#,
    ),
    (
        "script.sql",
        r#"
CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, val REAL, name TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
INSERT INTO t SELECT i, i % 17, (i * 7919 % 1000) / 7.0, 'row' || i FROM n;
CREATE INDEX t_grp ON t(grp);
SELECT count(*), sum(grp), round(avg(val), 6), min(name), max(name) FROM t;
SELECT grp, count(*), round(sum(val), 3) FROM t GROUP BY grp ORDER BY grp LIMIT 5;
SELECT id, name FROM t WHERE val > 142 ORDER BY val DESC, id LIMIT 3;
UPDATE t SET val = val * 2 WHERE grp = 3;
DELETE FROM t WHERE id % 5 = 0;
SELECT count(*), round(total(val), 4) FROM t;
SELECT group_concat(name, ',') FROM (SELECT name FROM t WHERE grp = 16 ORDER BY id LIMIT 6);
"#,
    ),
    (
        "script.bc",
        "scale = 200\n4 * a(1)\nsqrt(2)\ne(1)\nl(10)\n2 ^ 500\nscale = 0\n2 ^ 1000 % 1000007\n",
    ),
    (
        "script.awk",
        r#"
BEGIN { FS = ":" }
{ sum[$2] += $1; n[$2]++; if ($1 > max) { max = $1; at = NR } }
END {
    for (u in sum) if (n[u] > 55) k++
    printf "users with more than 55 rows: %d\n", k
    printf "max %d at line %d\n", max, at
    printf "%.4f %s %d\n", sum["user3"] / n["user3"], toupper("mixed Case"), length("ox86")
    split("c b a", parts, " "); printf "%s%s%s\n", parts[3], parts[2], parts[1]
}
"#,
    ),
];

/// A C file for cc1.
const C_SOURCE: &str = r#"
struct point { int x, y; };
static int dot(struct point a, struct point b) { return a.x * b.x + a.y * b.y; }
int table[64];
int run(int n)
{
    int s = 0;
    for (int i = 0; i < n; i++) {
        struct point p = { i, n - i }, q = { 3, -i };
        table[i & 63] += dot(p, q);
        s += table[(i * 7) & 63] / (i + 1);
    }
    return s;
}
double mix(double a, float b) { return a * b + (a > b ? a : b); }
"#;

fn cases() -> Vec<Case> {
    let cc1 = Command::new("gcc")
        .arg("-print-prog-name=cc1")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|p| p.starts_with('/'))
        .unwrap_or_else(|| "/usr/lib/gcc/cc1".to_string());
    let script = |name: &str| SCRIPTS.iter().find(|s| s.0 == name).map_or("", |s| s.1);
    vec![
        Case::new("ls -l", "coreutils", "/bin/ls", &["-l", "tree", "tree/sub"]),
        Case::new(
            "ls -la --full-time",
            "coreutils",
            "/bin/ls",
            &["-la", "--full-time", "tree"],
        ),
        Case::new(
            "sort",
            "coreutils",
            "/usr/bin/sort",
            &["-t:", "-k3,3n", "-k1,1nr", "table.txt"],
        ),
        Case::new("sort | uniq -c", "coreutils", "/usr/bin/uniq", &["-c"])
            .stdin("a\na\nb\nc\nc\nc\na\n"),
        Case::new(
            "wc",
            "coreutils",
            "/usr/bin/wc",
            &["table.txt", "words.txt", "blob.bin"],
        ),
        Case::new(
            "sha256sum",
            "coreutils",
            "/usr/bin/sha256sum",
            &["blob.bin", "table.txt"],
        ),
        Case::new(
            "md5sum",
            "coreutils",
            "/usr/bin/md5sum",
            &["blob.bin", "table.txt"],
        ),
        Case::new(
            "cut",
            "coreutils",
            "/usr/bin/cut",
            &["-d:", "-f1,3", "table.txt"],
        ),
        Case::new(
            "tr",
            "coreutils",
            "/usr/bin/tr",
            &["a-z0-9", "A-Z9876543210"],
        )
        .stdin("the quick brown fox 0123456789\n"),
        Case::new("date", "coreutils", "/bin/date", &["-d", "@0", "-u"]),
        Case::new(
            "date +format",
            "coreutils",
            "/bin/date",
            &["-u", "-d", "@1234567890", "+%Y-%m-%d %H:%M:%S %j %A"],
        ),
        Case::new(
            "seq",
            "coreutils",
            "/usr/bin/seq",
            &["-s", ",", "1", "7", "200"],
        ),
        Case::new(
            "factor",
            "coreutils",
            "/usr/bin/factor",
            &[
                "1234567890123",
                "600851475143",
                "18446744073709551557",
                "97",
            ],
        ),
        Case::new("bash script", "bash", "/bin/bash", &["script.sh"]),
        Case::new("dash script", "dash", "/bin/dash", &["script.sh"]),
        Case::new("bash -c stdin script", "bash", "/bin/bash", &["-s"]).stdin(script("script.sh")),
        Case::new(
            "grep -E",
            "grep",
            "/bin/grep",
            &["-E", "-n", "^[0-9]{4}:user(1|2)[0-9]?:", "table.txt"],
        ),
        Case::new(
            "grep -c -v",
            "grep",
            "/bin/grep",
            &["-c", "-v", "-E", "7$|user3", "table.txt"],
        ),
        Case::new(
            "sed",
            "sed",
            "/bin/sed",
            &[
                "-E",
                "-n",
                "s/^([0-9]+):(user[0-9]+):.*$/\\2 \\1/p;100q",
                "table.txt",
            ],
        ),
        Case::new(
            "gawk",
            "gawk",
            "/usr/bin/gawk",
            &["-f", "script.awk", "table.txt"],
        ),
        Case::new("gzip", "gzip", "/bin/gzip", &["-9", "-n", "-c", "blob.bin"]),
        Case::new("gunzip", "gzip", "/bin/gzip", &["-d", "-c", "blob.bin.gz"]),
        Case::new("bzip2", "bzip2", "/bin/bzip2", &["-9", "-c", "blob.bin"]),
        Case::new(
            "bunzip2",
            "bzip2",
            "/bin/bzip2",
            &["-d", "-c", "blob.bin.bz2"],
        ),
        Case::new(
            "xz",
            "xz-utils",
            "/usr/bin/xz",
            &["-T1", "-6", "-c", "blob.bin"],
        ),
        Case::new(
            "unxz",
            "xz-utils",
            "/usr/bin/xz",
            &["-d", "-c", "blob.bin.xz"],
        ),
        Case::new("python3", "python3", "/usr/bin/python3", &["script.py"]),
        Case::new("perl", "perl", "/usr/bin/perl", &["script.pl"]),
        Case::new("lua5.4", "lua5.4", "/usr/bin/lua5.4", &["script.lua"]),
        Case::new("sqlite3", "sqlite3", "/usr/bin/sqlite3", &[":memory:"])
            .stdin(script("script.sql")),
        Case::new("bc -l", "bc", "/usr/bin/bc", &["-l", "script.bc"]).stdin("quit\n"),
        Case::new(
            "cc1",
            "gcc",
            &cc1,
            &["-quiet", "-O2", "prog.c", "-o", "/dev/stdout"],
        )
        .jit_only(),
    ]
}

/// Engines to compare with native (`OX86_ENGINES`, default `interp,jit`).
fn engines() -> Vec<String> {
    std::env::var("OX86_ENGINES")
        .unwrap_or_else(|_| "interp,jit".to_string())
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "native" && *s != "qemu")
        .map(String::from)
        .collect()
}

fn run_in(dir: &Path, case: &Case, engine: Option<&str>) -> Outcome {
    let mut cmd = match engine {
        None => Command::new(&case.program),
        Some(name) => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_ox86"));
            c.args(["--engine", name]).arg(&case.program);
            c
        }
    };
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    // Outside the fixture, whose directory times `ls -la` shows.
    let stdin_file = dir.with_extension(format!("stdin-{}", NEXT.fetch_add(1, Ordering::Relaxed)));
    let stdin = if case.stdin.is_empty() {
        Stdio::null()
    } else {
        fs::write(&stdin_file, &case.stdin).expect("write stdin");
        Stdio::from(fs::File::open(&stdin_file).expect("open stdin"))
    };
    cmd.args(&case.args)
        .env_clear()
        .envs(ENV.iter().copied())
        .env("HOME", dir)
        .current_dir(dir)
        .stdin(stdin);
    let out = run(&mut cmd, LIMIT).expect("start a run");
    let _ = fs::remove_file(&stdin_file);
    out
}

fn show(bytes: &[u8]) -> String {
    const MAX: usize = 600;
    let text = String::from_utf8_lossy(bytes);
    if text.chars().count() > MAX {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}... ({} bytes)", bytes.len())
    } else {
        text.into_owned()
    }
}

/// Compares one case; returns a description of each mismatch.
fn check(dir: &Path, case: &Case) -> Vec<String> {
    let native = run_in(dir, case, None);
    let mut problems = Vec::new();
    for engine in engines() {
        if engine == "interp" && !case.interp {
            continue;
        }
        let start = std::time::Instant::now();
        let out = run_in(dir, case, Some(&engine));
        eprintln!(
            "  {} under {engine}: {:.2}s",
            case.name,
            start.elapsed().as_secs_f64()
        );
        if (out.status, &out.stdout, &out.stderr) != (native.status, &native.stdout, &native.stderr)
        {
            let mut d = format!("{} under {engine}:", case.name);
            if out.status != native.status {
                let _ = write!(d, " status native {}, ox86 {};", native.status, out.status);
            }
            if out.stdout != native.stdout {
                let _ = write!(
                    d,
                    "\n    stdout native: {}\n    stdout ox86:   {}",
                    show(&native.stdout),
                    show(&out.stdout)
                );
            }
            if out.stderr != native.stderr {
                let _ = write!(
                    d,
                    "\n    stderr native: {}\n    stderr ox86:   {}",
                    show(&native.stderr),
                    show(&out.stderr)
                );
            }
            problems.push(d);
        }
    }
    problems
}

/// Runs the cases whose package is one of `packages`.
fn check_packages(packages: &[&str]) {
    common::disable_core_dumps();
    let filter: Option<Vec<String>> = std::env::var("OX86_DEBIAN_FILTER")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    let dir = fixture_once();
    let mut failures = Vec::new();
    for case in cases()
        .into_iter()
        .filter(|c| packages.contains(&c.package))
    {
        if filter
            .as_ref()
            .is_some_and(|f| !f.iter().any(|s| case.name.contains(s.as_str())))
        {
            continue;
        }
        if !Path::new(&case.program).exists() {
            eprintln!(
                "SKIP {}: {} is not installed (Debian package {}; tests/run installs it)",
                case.name, case.program, case.package
            );
            continue;
        }
        let problems = check(&dir, &case);
        let gap = KNOWN_GAPS.iter().find(|(n, _)| *n == case.name);
        match (gap, problems.is_empty()) {
            (None, true) => eprintln!("ok   {}", case.name),
            (None, false) => failures.extend(problems),
            (Some((_, why)), false) => {
                eprintln!(
                    "KNOWN GAP {}: {why}\n  {}",
                    case.name,
                    problems.join("\n  ")
                )
            }
            (Some((_, why)), true) => failures.push(format!(
                "{} passes but is listed as a known gap ({why}): remove it from KNOWN_GAPS",
                case.name
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The fixture directory, built by the first test that needs it.
fn fixture_once() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(fixture).clone()
}

#[test]
fn coreutils() {
    check_packages(&["coreutils"]);
}

#[test]
fn shells() {
    check_packages(&["bash", "dash"]);
}

#[test]
fn text_tools() {
    check_packages(&["grep", "sed", "gawk"]);
}

#[test]
fn compressors() {
    check_packages(&["gzip", "bzip2", "xz-utils"]);
}

#[test]
fn interpreters() {
    check_packages(&["python3", "perl", "lua5.4", "sqlite3", "bc"]);
}

#[test]
fn compiler() {
    check_packages(&["gcc"]);
}
