#!/usr/bin/env python3
"""`make audit`: known vulnerabilities in requirements.txt (what the image ships), with pip-audit.

    python deploy/audit.py

pip-audit resolves requirements.txt with its dependencies and looks every version up in PyPI's
vulnerability data (`--vulnerability-service pypi`). Findings accepted after review are listed,
with the reason, in deploy/pip-audit-accepted.txt (`ID  reason`, one a line) and passed as
`--ignore-vuln`. Exit 1 on any other finding.

A dependency the service could not look up is reported as not audited. When none could be
(the service unreachable from this machine), the audit says so loudly and exits 0 unless
AUDIT_STRICT=1: an unreachable service must not block every change, but it is never reported
as a clean audit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCEPTED = ROOT / "deploy" / "pip-audit-accepted.txt"


def accepted() -> dict[str, str]:
    found = {}
    for line in ACCEPTED.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        vuln_id, _, reason = line.partition(" ")
        if not reason.strip():
            sys.exit(f"[audit] {ACCEPTED.name}: {vuln_id} has no reason; write down why")
        found[vuln_id] = reason.strip()
    return found


def main() -> int:
    ignored = accepted()
    with tempfile.TemporaryDirectory(prefix="s24-audit-") as tmp:
        report = Path(tmp) / "audit.json"
        cmd = [
            str(Path(sys.executable).parent / "pip-audit"),
            "--requirement", str(ROOT / "requirements.txt"),
            "--vulnerability-service", "pypi",
            "--format", "json", "--output", str(report),
            "--progress-spinner", "off", "--timeout", "30",
        ]  # fmt: skip
        for vuln_id in ignored:
            cmd += ["--ignore-vuln", vuln_id]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if not report.exists():
            print(proc.stdout + proc.stderr, file=sys.stderr)
            print("[audit] pip-audit did not produce a report", file=sys.stderr)
            return 1
        data = json.loads(report.read_text())

    deps = data.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = [d for d in deps if not d.get("skip_reason")]
    findings = [(d, v) for d in audited for v in d.get("vulns", [])]
    for dep, vuln in findings:
        fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version"
        print(f"[audit] VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    for vuln_id, reason in ignored.items():
        print(f"[audit] accepted {vuln_id}: {reason}")
    print(
        f"[audit] {len(audited)} of {len(deps)} packages audited, {len(findings)} finding(s), "
        f"{len(ignored)} accepted"
    )
    if findings:
        print(f"[audit] FAILED: upgrade, or accept with a reason in {ACCEPTED.relative_to(ROOT)}")
        return 1
    if skipped:
        names = ", ".join(d["name"] for d in skipped[:8])
        more = f" and {len(skipped) - 8} more" if len(skipped) > 8 else ""
        print(f"[audit] NOT AUDITED: {names}{more} ({skipped[0]['skip_reason']})")
        if not audited:
            print(
                "[audit] INCOMPLETE: the vulnerability service answered for no package (is "
                "pypi.org's JSON API reachable from here?); nothing was checked"
            )
        if os.environ.get("AUDIT_STRICT") == "1":
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
