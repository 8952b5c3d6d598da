#!/usr/bin/env python3
"""Issue 14's budget: every hostile input, at the size it was reported, through the
release binary — each command must end within 2 s and under 200 MB peak RSS, with
exit 0, 1 or 2 and (past a limit) a finding or an error that names it.

The inputs come from tests/support/hostile.rs (the same generators as the growth
tests), written out by `examples/hostile_inputs.rs`; this script adds the cases
that are not files of a size: `--config`/`--baseline` on /dev/zero, a FIFO with no
writer as `--policy`/`--config`/`--baseline`/a lint path, and a character device
named on the command line.

    cargo build --release --bins --example hostile_inputs
    python3 bench/hostile.py            # prints a Markdown table for docs/performance.md

Wall time is measured here, on purpose and only here: the tests assert growth
(allocation counts), never time. Each command runs with a 60 s kill switch.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUDGET_S = 2.0
BUDGET_MB = 200.0
KILL_S = 60


def run(binary, argv, stdin_path=None):
    """Runs one command; returns (exit, wall seconds, head of stdout, head of
    stderr). Output goes to files, not into this script's memory: a child's
    peak RSS starts from its parent's size (see peak_rss_mb)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        start = time.monotonic()
        proc = subprocess.Popen([binary] + argv, stdin=stdin, stdout=out, stderr=err,
                                env={**os.environ, "NO_COLOR": "1"})
        try:
            proc.wait(timeout=KILL_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        elapsed = time.monotonic() - start
        if stdin_path:
            stdin.close()
        out.seek(0)
        err.seek(0)
        return proc.returncode, elapsed, out.read(65536), err.read(65536)


def peak_rss_mb(binary, argv, stdin_path=None):
    """Runs the command again to read its own peak RSS (wait4's ru_maxrss; on
    Linux it starts at this script's own size, about 10 MB, which is why the
    script never holds a command's output), output to /dev/null."""
    devnull = os.open(os.devnull, os.O_RDWR)
    stdin = os.open(stdin_path, os.O_RDONLY) if stdin_path else devnull
    actions = [
        (os.POSIX_SPAWN_DUP2, stdin, 0),
        (os.POSIX_SPAWN_DUP2, devnull, 1),
        (os.POSIX_SPAWN_DUP2, devnull, 2),
    ]
    pid = os.posix_spawn(binary, [binary] + argv, {**os.environ, "NO_COLOR": "1"},
                         file_actions=actions)
    deadline = time.monotonic() + KILL_S
    while True:
        done, _, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            _, _, usage = os.wait4(pid, 0)
            break
        time.sleep(0.005)
    os.close(devnull)
    if stdin_path:
        os.close(stdin)
    return usage.ru_maxrss / 1024.0


def limit_line(out, err):
    """The line that names what happened: an error, or the first limit finding."""
    text = (err + out).decode("utf-8", "replace")
    for line in text.splitlines():
        low = line.lower()
        if "limit" in low or "error:" in low or "larger than" in low or "cap" in low:
            return line.strip()[:110]
    return ""


def special_cases(tmp, clean_policy):
    """Inputs that are not files of a size."""
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    claim = ["--claim", "sub=project_path:mygroup/app:ref_type:branch:ref:main"]
    return [
        ("config-dev-zero", ["lint", clean_policy, "--config", "/dev/zero"]),
        ("baseline-dev-zero", ["lint", clean_policy, "--baseline", "/dev/zero"]),
        ("policy-fifo-no-writer", ["simulate", "--policy", fifo] + claim),
        ("config-fifo-no-writer", ["lint", clean_policy, "--config", fifo]),
        ("baseline-fifo-no-writer", ["lint", clean_policy, "--baseline", fifo]),
        ("lint-fifo-no-writer", ["lint", fifo]),
        ("lint-char-device", ["lint", "/dev/zero"]),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "target/release/oidc-doctor"))
    ap.add_argument("--generator", default=os.path.join(ROOT, "target/release/examples/hostile_inputs"))
    ap.add_argument("--only", help="run only cases whose name contains this")
    args = ap.parse_args()
    for p in (args.binary, args.generator):
        if not os.path.exists(p):
            sys.exit(f"{p} not found: cargo build --release --bins --example hostile_inputs")

    tmp = tempfile.mkdtemp(prefix="oidc-doctor-hostile-")
    try:
        subprocess.run([args.generator, tmp], check=True)
        cases = json.load(open(os.path.join(tmp, "commands.json")))
        rows = []
        for case in cases:
            for argv in case["commands"]:
                argv = [a.replace("{dir}", case["dir"]) for a in argv]
                stdin = os.path.join(case["dir"], case["stdin"]) if case["stdin"] else None
                rows.append((case["name"], argv, stdin))
        clean = os.path.join(ROOT, "fixtures/policies/gitlab-main-only.json")
        for name, argv in special_cases(tmp, clean):
            rows.append((name, argv, None))

        failed = ran = 0
        print("| input | command | exit | wall s | peak RSS MB | what it said |")
        print("|---|---|---|---|---|---|")
        for name, argv, stdin in rows:
            if args.only and args.only not in name:
                continue
            ran += 1
            code, secs, out, err = run(args.binary, argv, stdin)
            rss = peak_rss_mb(args.binary, argv, stdin)
            ok = code in (0, 1, 2) and secs <= BUDGET_S and rss <= BUDGET_MB
            failed += not ok
            shown = " ".join(a.replace(tmp, "…") for a in argv)
            if len(shown) > 70:
                shown = shown[:67] + "…"
            said = limit_line(out, err).replace("|", "\\|").replace(tmp, "…")
            mark = "" if ok else " **over budget**"
            print(f"| {name} | `{shown}` | {code} | {secs:.2f} | {rss:.0f} | {said}{mark} |")
        print()
        print(f"{ran - failed} within budget, {failed} over (budget: {BUDGET_S} s, {BUDGET_MB:.0f} MB, exit 0/1/2)")
        sys.exit(1 if failed else 0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
