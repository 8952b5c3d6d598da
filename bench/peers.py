#!/usr/bin/env python3
"""Benchmark `oidc-doctor lint` against the tools people use today, on the same files.

Generates one corpus in three forms — trust policies as IAM JSON, the same policies as
Terraform (`aws_iam_role` with `assume_role_policy = jsonencode(...)`) and as CloudFormation
templates (`AWS::IAM::Role`) — with a known share of planted mistakes, installs the peers
from PyPI into a throwaway virtualenv (never part of the product), and times, in one run:

    oidc-doctor lint   on each form
    checkov            --framework terraform / cloudformation
    cfn-lint           on the CloudFormation templates
    parliament         on the IAM JSON (it wants `Resource`, so it misreads trust policies)

Each tool's finding count is printed beside its time, so that speed is never bought by
skipping work, with files/s, peak memory (RSS of the tool's process tree) and the ratio of
each peer's time to oidc-doctor's on the same form.

    cargo build --release
    python3 bench/peers.py --json 10000 --terraform 1000 --cloudformation 1000

Peers are single runs by default (they take minutes); oidc-doctor is the median of --runs.
"""

import argparse
import collections
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lint_corpus  # noqa: E402  (the same generator and planted mistakes)

PEERS = ["checkov==3.3.30", "cfn-lint==1.58.0", "parliament==1.6.4"]


def terraform_of(name, policy_text):
    """A role whose trust policy is the given JSON (valid or not), as jsonencode-free HCL:
    a heredoc keeps the exact text, planted mistakes included."""
    return (
        f'resource "aws_iam_role" "{name}" {{\n'
        f'  name               = "{name}"\n'
        f"  assume_role_policy = <<EOF\n{policy_text}\nEOF\n"
        f"}}\n"
    )


def cloudformation_of(name, policy_text):
    """A template whose role embeds the policy; a policy that is not JSON is kept as text."""
    try:
        doc = json.loads(policy_text)
    except ValueError:
        doc = policy_text
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            name: {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": doc},
            }
        },
    }
    return json.dumps(template, indent=2)


def generate(root, counts, seed):
    """Writes the three forms; returns the directories and the planted counts per form."""
    dirs = {}
    planted = {}
    for form, n in counts.items():
        if n <= 0:
            continue
        d = os.path.join(root, form)
        os.makedirs(d)
        # The same generator (and seed) for every form: the same policies and mistakes.
        tmp = os.path.join(root, f".src-{form}")
        planted[form] = lint_corpus.generate(tmp, n, 0.2, seed)
        for sub, _, files in os.walk(tmp):
            for f in sorted(files):
                text = open(os.path.join(sub, f)).read()
                stem = f"{os.path.basename(sub)}_{f[:-5]}".replace("-", "_")
                if form == "json":
                    out, body = f"{stem}.json", text
                elif form == "terraform":
                    out, body = f"{stem}.tf", terraform_of(stem, text)
                else:
                    out, body = f"{stem}.template.json", cloudformation_of(stem.replace("_", ""), text)
                with open(os.path.join(d, out), "w") as fh:
                    fh.write(body)
        shutil.rmtree(tmp)
        dirs[form] = d
    return dirs, planted


def run(cmd, cwd=None):
    """Runs a command; returns (seconds, stdout, exit code, peak RSS in MiB of its process
    tree: wait4's rusage covers the child and the descendants it waited for)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return elapsed, out.read(), proc.returncode, usage.ru_maxrss / 1024.0


def count_oidc_doctor(stdout):
    return len(json.loads(stdout)["findings"])


def count_checkov(stdout):
    data = json.loads(stdout) if stdout.strip() else []
    if isinstance(data, dict):
        data = [data]
    return sum(len(d.get("results", {}).get("failed_checks", [])) for d in data)


def count_cfn_lint(stdout):
    return len(json.loads(stdout)) if stdout.strip() else 0


def count_parliament(stdout):
    return sum(1 for line in stdout.splitlines() if line.strip().startswith("{"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=int, default=10_000, help="trust policies as IAM JSON")
    ap.add_argument("--terraform", type=int, default=1_000, help="roles as Terraform files")
    ap.add_argument("--cloudformation", type=int, default=1_000, help="roles as CloudFormation templates")
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--runs", type=int, default=5, help="oidc-doctor runs per form (median)")
    ap.add_argument("--binary", default="target/release/oidc-doctor")
    ap.add_argument("--venv", default=os.path.join(tempfile.gettempdir(), "oidc-doctor-peers-venv"))
    args = ap.parse_args()

    binary = os.path.abspath(args.binary)
    if not os.path.exists(binary):
        sys.exit(f"{binary} not found: run `cargo build --release` first")
    venv_bin = os.path.join(args.venv, "bin")
    if not os.path.exists(os.path.join(venv_bin, "checkov")):
        print(f"installing {', '.join(PEERS)} into {args.venv} …", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", args.venv], check=True)
        subprocess.run([os.path.join(venv_bin, "pip"), "install", "-q", "--disable-pip-version-check", *PEERS], check=True)

    counts = {"json": args.json, "terraform": args.terraform, "cloudformation": args.cloudformation}
    rows = []
    with tempfile.TemporaryDirectory(prefix="oidc-doctor-peers-") as tmp:
        dirs, planted = generate(tmp, counts, args.seed)
        for form, d in dirs.items():
            n = counts[form]
            # oidc-doctor: the median of --runs, and a correctness check on its findings.
            times = []
            for _ in range(args.runs):
                t, out, _, rss = run(lint_corpus.pinned([binary, "lint", d, "--format", "json"]))
                times.append(t)
            found = count_oidc_doctor(out)
            expected = sum(planted[form].values())
            t = statistics.median(times)
            rows.append((form, "oidc-doctor lint", n, t, found, rss, f"{expected} planted"))
            ours = t
            peers = []
            if form == "terraform":
                peers.append(("checkov --framework terraform",
                              [os.path.join(venv_bin, "checkov"), "-d", d, "--framework", "terraform", "-o", "json", "--quiet", "--compact"],
                              count_checkov))
            if form == "cloudformation":
                peers.append(("checkov --framework cloudformation",
                              [os.path.join(venv_bin, "checkov"), "-d", d, "--framework", "cloudformation", "-o", "json", "--quiet", "--compact"],
                              count_checkov))
                peers.append(("cfn-lint",
                              [os.path.join(venv_bin, "cfn-lint"), "--format", "json", os.path.join(d, "*.template.json")],
                              count_cfn_lint))
            if form == "json":
                peers.append(("parliament",
                              [os.path.join(venv_bin, "parliament"), "--directory", d, "--json"],
                              count_parliament))
            for name, cmd, counter in peers:
                pt, pout, code, prss = run(lint_corpus.pinned(cmd))
                try:
                    pfound = counter(pout)
                except ValueError:
                    pfound = f"unreadable output (exit {code})"
                rows.append((form, name, n, pt, pfound, prss, f"{pt / ours:.0f}× oidc-doctor's time"))

    print(f"{'form':<15}{'tool':<36}{'files':>7}{'seconds':>10}{'files/s':>10}{'findings':>12}{'peak MiB':>10}  note")
    for form, tool, n, t, found, rss, note in rows:
        print(f"{form:<15}{tool:<36}{n:>7}{t:>10.2f}{n / t:>10.0f}{str(found):>12}{rss:>10.0f}  {note}")


if __name__ == "__main__":
    main()
