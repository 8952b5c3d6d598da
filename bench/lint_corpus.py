#!/usr/bin/env python3
"""Benchmark `oidc-doctor lint` on a generated corpus of trust policies.

Generates N policy files (a known share with one planted mistake each), lints the
directory with the release binary, and FAILS unless the findings are exactly the
planted ones — a linter that finds nothing cannot win. Prints throughput (files/s),
single-file latency and peak memory; the numbers go to docs/performance.md.

    cargo build --release
    python3 bench/lint_corpus.py --files 10000

Single-threaded on one core (the script pins itself to core 0; the processes it
starts inherit the pin), like the target in the lint issue: at least 20,000 files/s
and under 5 ms for a single-file lint. Processes are started with posix_spawn and
reaped with wait4, and the same harness times /bin/true, so its own share shows.
"""

import argparse
import collections
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PROVIDER = "arn:aws:iam::{account}:oidc-provider/gitlab.com"


def clean_policy(rng, pattern_share=0.3):
    """A policy no rule objects to: aud, exact sub(s), project_id pin, ref_protected."""
    account = f"{rng.randrange(10**11, 10**12):012d}"
    group = rng.choice(["mygroup", "platform", "payments", "data-eng"])
    project = rng.choice(["app", "api", "infra", "web", "billing"])
    refs = rng.sample(["main", "release", "production", "stable"], rng.randint(1, 2))
    subs = [f"project_path:{group}/{project}:ref_type:branch:ref:{r}" for r in refs]
    if rng.random() < pattern_share:
        # A release-branch pattern: exercises the subject analysis (wildcard breadth,
        # engine-verified examples) on a policy that is still clean.
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": f"Release{project.capitalize()}",
                    "Effect": "Allow",
                    "Principal": {"Federated": PROVIDER.format(account=account)},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            "gitlab.com:aud": "https://gitlab.com",
                            "gitlab.com:project_id": str(rng.randrange(1000, 10**8)),
                            "gitlab.com:ref_protected": "true",
                            "gitlab.com:pipeline_source": "push",
                        },
                        "StringLike": {
                            "gitlab.com:sub": f"project_path:{group}/{project}:ref_type:branch:ref:release/*"
                        },
                    },
                }
            ],
        }
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"Deploy{project.capitalize()}",
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER.format(account=account)},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        "gitlab.com:aud": "https://gitlab.com",
                        "gitlab.com:sub": subs if len(subs) > 1 else subs[0],
                        "gitlab.com:project_id": str(rng.randrange(1000, 10**8)),
                        "gitlab.com:ref_protected": "true",
                    }
                },
            }
        ],
    }


def dump(policy):
    return json.dumps(policy, indent=2) + "\n"


# Each mutation plants exactly one finding of one rule into a clean policy.
def plant_unknown_operator(p):
    p["Statement"][0]["Condition"]["StringEq"] = {"gitlab.com:pipeline_source": "push"}
    return dump(p)


def plant_wildcard_in_exact_operator(p):
    cond = p["Statement"][0]["Condition"]
    cond.pop("StringLike", None)
    cond["StringEquals"]["gitlab.com:sub"] = "project_path:mygroup/app:ref_type:branch:ref:*"
    return dump(p)


def plant_missing_sub(p):
    cond = p["Statement"][0]["Condition"]
    cond.pop("StringLike", None)
    cond["StringEquals"].pop("gitlab.com:sub", None)
    return dump(p)


def plant_wrong_action(p):
    p["Statement"][0]["Action"] = "sts:AssumeRole"
    return dump(p)


def plant_bad_effect(p):
    p["Statement"][0]["Effect"] = "allow"
    return dump(p)


def plant_null_if_exists(p):
    p["Statement"][0]["Condition"]["NullIfExists"] = {"gitlab.com:user_email": "false"}
    return dump(p)


def plant_trailing_comma(p):
    text = dump(p)
    i = text.rindex("}")
    return text[:i].rstrip() + ",\n}\n"


def plant_duplicate_key(p):
    text = dump(p)
    return text.replace('"Effect": "Allow",', '"Effect": "Allow",\n      "Effect": "Allow",', 1)


PLANTS = [
    ("unknown-condition-operator", plant_unknown_operator),
    ("wrong-action", plant_wrong_action),
    ("unknown-policy-element", plant_bad_effect),
    ("null-with-if-exists", plant_null_if_exists),
    ("invalid-policy-json", plant_trailing_comma),
    ("duplicate-json-key", plant_duplicate_key),
    ("wildcard-in-exact-operator", plant_wildcard_in_exact_operator),
    ("missing-sub-condition", plant_missing_sub),
]


def generate(directory, files, share, seed, pattern_share=0.3):
    rng = random.Random(seed)
    planted = collections.Counter()
    for i in range(files):
        sub = os.path.join(directory, f"team-{i % 50:02d}")
        os.makedirs(sub, exist_ok=True)
        policy = clean_policy(rng, pattern_share)
        if rng.random() < share:
            rule, plant = rng.choice(PLANTS)
            text = plant(policy)
            planted[rule] += 1
        else:
            text = dump(policy)
        with open(os.path.join(sub, f"trust-{i:05d}.json"), "w") as f:
            f.write(text)
    return planted


def pinned(cmd):
    """`cmd` under `taskset -c 0` (bench/peers.py: every tool pays the same exec)."""
    return (["taskset", "-c", "0"] + cmd) if shutil.which("taskset") else cmd


def pin_to_one_core():
    """Pins this process to core 0; the processes it starts inherit the pin. (It
    used to prefix every command with `taskset -c 0`, which put a second exec,
    about a millisecond, into every single-file time.)"""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
        return True
    return False


def spawn_timed(cmd):
    """Wall time of one process, started with posix_spawn (no shell, no pipes)
    and reaped with wait4, plus the CPU time (user + system) it used."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        start = time.perf_counter()
        pid = os.posix_spawn(cmd[0], cmd, os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1),
                                           (os.POSIX_SPAWN_DUP2, devnull, 2)])
        _, _, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    finally:
        os.close(devnull)
    return wall, usage.ru_utime + usage.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--share", type=float, default=0.2, help="share of files with a planted mistake")
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--pattern-share", type=float, default=0.3,
                    help="share of clean policies with a StringLike release/* subject")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--binary", default="target/release/oidc-doctor")
    ap.add_argument("--jobs", type=int, default=1,
                    help="lint threads (-j); above 1 nothing is pinned, and -j 1 is timed in the"
                         " same runs, interleaved, for the speed-up")
    args = ap.parse_args()

    if not os.path.exists(args.binary):
        sys.exit(f"{args.binary} not found: run `cargo build --release` first")
    with tempfile.TemporaryDirectory(prefix="oidc-doctor-bench-") as tmp:
        planted = generate(tmp, args.files, args.share, args.seed, args.pattern_share)

        # Correctness first: exactly the planted findings, nothing else.
        out = subprocess.run([args.binary, "lint", tmp, "--format", "json"], capture_output=True, text=True)
        report = json.loads(out.stdout)
        found = collections.Counter(f["rule"] for f in report["findings"])
        if found != planted or report["summary"]["files"] != args.files:
            sys.exit(f"MISMATCH: planted {dict(planted)}, found {dict(found)}, files {report['summary']['files']}")

        binary = os.path.abspath(args.binary)
        run = lambda jobs: spawn_timed([binary, "lint", tmp, "--format", "json", "-j", str(jobs)])[0]
        many_times, one_times = [], []
        if args.jobs > 1:
            # Unpinned, -j N and -j 1 alternately, so both meet the same machine.
            for _ in range(args.runs):
                many_times.append(run(args.jobs))
                one_times.append(run(1))
        pinned = pin_to_one_core()
        times = [run(1) for _ in range(args.runs)]
        one = os.path.join(tmp, "team-00", "trust-00000.json")
        # The harness's own cost, measured the same way: a process that does nothing.
        floor = [spawn_timed(["/bin/true"])[0] for _ in range(50)]
        single = [spawn_timed([binary, "lint", one]) for _ in range(50)]
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

    best, median = min(times), statistics.median(times)
    print(f"corpus: {args.files} files, {sum(planted.values())} planted mistakes {dict(sorted(planted.items()))}")
    print(f"findings: exactly the planted ones ({sum(found.values())})")
    print(f"lint directory: median {median*1000:.0f} ms, best {best*1000:.0f} ms over {args.runs} runs"
          f" -> {args.files/median:,.0f} files/s (median), {args.files/best:,.0f} files/s (best)")
    print(f"single file: median {statistics.median(w for w, _ in single)*1000:.2f} ms wall"
          f" ({statistics.median(c for _, c in single)*1000:.2f} ms CPU) over 50 runs;"
          f" the harness starting /bin/true the same way: {statistics.median(floor)*1000:.2f} ms")
    print(f"pinned to core 0: {'yes' if pinned else 'no (sched_setaffinity unavailable)'}")
    if many_times:
        many, one = statistics.median(many_times), statistics.median(one_times)
        print(f"unpinned, interleaved: -j {args.jobs} median {many*1000:.0f} ms"
              f" ({args.files/many:,.0f} files/s), -j 1 median {one*1000:.0f} ms"
              f" ({args.files/one:,.0f} files/s): {one/many:.2f}x")
    print(f"peak RSS of one lint process: {peak_kib/1024:.1f} MiB")


if __name__ == "__main__":
    main()
