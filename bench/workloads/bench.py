"""Python workload for bench/run: floats, big integers, dicts, json and re.
Deterministic (seeded random.Random, no set or hash order in the output);
prints checksums. Size: sys.argv[1], the number of rounds."""

import json
import math
import random
import re
import sys


def floats(rng, n):
    # glibc's libm picks its sin/exp/log code by CPU features (FMA or not),
    # and the variants may differ in the last bit, so results that went
    # through them are printed to 12 digits.
    xs = [rng.uniform(-1e3, 1e3) for _ in range(n)]
    s = math.fsum(math.sin(x) * math.exp(-abs(x) / 500) for x in xs)
    h = math.hypot(*xs[:50])
    g = sum(math.log1p(abs(x)) for x in xs) / n
    return f"{s:.12g} {h!r} {g:.12g} {xs[7]!r}"


def bigints(k):
    f = math.factorial(300 + k)
    p = pow(3, 10**4 + k, (1 << 521) - 1)
    digits = str(2 ** (3000 + k))
    q, r = divmod(f, 10**40 + 7)
    return f"{f.bit_length()} {p % 1000003} {digits[-12:]} {sum(map(int, digits))} {r}"


def records(rng, n):
    names = ["".join(rng.choice("aeioukrstln") for _ in range(rng.randint(3, 8))) for _ in range(300)]
    return [
        {
            "id": i,
            "name": rng.choice(names),
            "score": round(rng.gauss(50, 15), 3),
            "tags": [rng.choice(["x", "y", "z", "w"]) for _ in range(rng.randint(0, 4))],
        }
        for i in range(n)
    ]


def dicts_json(recs):
    by_name = {}
    for r in recs:
        by_name.setdefault(r["name"], []).append(r["score"])
    top = sorted(by_name.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:3]
    text = json.dumps({"records": recs, "top": top}, sort_keys=True)
    back = json.loads(text)
    tags = {}
    for r in back["records"]:
        for t in r["tags"]:
            tags[t] = tags.get(t, 0) + 1
    return f"{len(text)} {len(by_name)} {top[0][0]} {sorted(tags.items())}", text


WORD = re.compile(r"\"name\": \"([a-z]+)\"")
SCORE = re.compile(r"\"score\": (-?\d+)\.(\d+)")


def regexes(text):
    names = WORD.findall(text)
    scores = sum(int(a) for a, _ in SCORE.findall(text))
    squashed = re.sub(r"[aeiou]{2,}", "_", text)
    return f"{len(names)} {scores} {len(squashed)} {squashed.count('_')}"


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rng = random.Random(20240601)
    for i in range(rounds):
        fl = floats(rng, 2000)
        bi = bigints(i)
        dj, text = dicts_json(records(rng, 400))
        rx = regexes(text)
        if (i + 1) % 5 == 0 or i + 1 == rounds:
            print(i + 1, fl, bi, dj, rx, sep=" | ")


main()
