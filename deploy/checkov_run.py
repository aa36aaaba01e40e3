#!/usr/bin/env python3
"""`make checkov`: checkov over deploy/aws/ (Terraform and its Kubernetes manifests), the chart
rendered with the mesh on (values-production.yaml) and off (ci/all-on-values.yaml), and the
Dockerfile, with the accepted findings of deploy/checkov.yaml. Offline (--skip-download).

    python deploy/checkov_run.py CHECKOV_BINARY
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy" / "helm"))
import chart  # noqa: E402

RENDERINGS = {
    "mesh-on": ROOT / "deploy/helm/values-production.yaml",
    "mesh-off": ROOT / "deploy/helm/schools24/ci/all-on-values.yaml",
}


def main(checkov: str) -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="schools24-rendered-") as tmp:
        for name, values in RENDERINGS.items():
            text = chart.run_helm("template", chart.RELEASE, str(chart.CHART), "-f", str(values))
            (Path(tmp) / f"chart-{name}.yaml").write_text(text)
        # checkov skips `-f` files when directories are given: scan a copy with the renderings.
        shutil.copy(ROOT / "Dockerfile", Path(tmp) / "Dockerfile")
        cmd = [checkov, "--config-file", str(ROOT / "deploy/checkov.yaml"),
               "-d", str(ROOT / "deploy/aws"), "-d", tmp,
               "--framework", "terraform", "kubernetes", "dockerfile"]  # fmt: skip
        code = subprocess.run(cmd, check=False).returncode  # noqa: S603
    print(f"[checkov] {'ok' if code == 0 else 'FAILED'} in {time.monotonic() - started:.0f}s")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
