#!/usr/bin/env python3
"""Check the Helm chart with the real helm, and write deploy/k8s/ from it.

    python deploy/helm/chart.py check     helm lint + helm template (default values and
                                          ci/*-values.yaml), Kubernetes schema validation,
                                          deploy/k8s/ up to date (exit 1 on any problem)
    python deploy/helm/chart.py write     rewrite deploy/k8s/ from `helm template` (default values)

helm comes from `make tools` (.venv/bin/helm, next to this Python) or PATH. Rendered documents
are validated offline with kubernetes-validate (its bundled OpenAPI schemas, strict: unknown
fields are errors) for the oldest Kubernetes the chart supports and the newest schema bundled.
Custom resources (PrometheusRule) have no bundled schema; they are checked for the fields the
Prometheus Operator requires. Istio resources (values mesh.enabled, ci/mesh-on-values.yaml) are
validated with jsonschema against the schemas of Istio's CRDs kept in deploy/istio/crds/.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "istio"))
import schemas as istio_schemas  # noqa: E402  (deploy/istio/schemas.py)

CHART = HERE / "schools24"
K8S = HERE.parent / "k8s"
KIND = HERE.parent / "kind"
RELEASE = "schools24"
# Oldest supported (Chart.yaml kubeVersion) and the newest schema kubernetes-validate bundles.
KUBERNETES_VERSIONS = ("1.25.0", "latest")
CUSTOM_KINDS = {("monitoring.coreos.com/v1", "PrometheusRule")}
HEADER = (
    "# Generated from deploy/helm/schools24 with its default values by `make k8s`\n"
    "# (helm template); edit the chart, not this file.\n"
)


class ChartError(Exception):
    pass


def helm() -> str:
    local = Path(sys.executable).parent / "helm"
    found = str(local) if local.exists() else shutil.which("helm")
    if not found:
        raise ChartError("helm not found: run `make tools` (installs it into .venv/bin)")
    return found


def run_helm(*args: str) -> str:
    proc = subprocess.run([helm(), *args], capture_output=True, text=True, check=False)
    if proc.returncode:
        raise ChartError(f"helm {' '.join(args)} failed:\n{proc.stderr.strip()}")
    return proc.stdout


def template(*values: Path) -> list[dict]:
    args = ["template", RELEASE, str(CHART)]
    for path in values:
        args += ["-f", str(path)]
    return [doc for doc in yaml.safe_load_all(run_helm(*args)) if doc]


def values_files() -> list[Path]:
    """ci/*-values.yaml and the environments' values (values-staging/-production.yaml)."""
    return [
        *sorted((CHART / "ci").glob("*-values.yaml")),
        *sorted(HERE.glob("values-*.yaml")),
        KIND / "values-kind.yaml",
    ]


def validate(docs: list[dict], label: str) -> list[str]:
    import kubernetes_validate

    latest = kubernetes_validate.latest_version()
    problems = []
    for doc in docs:
        name = f"{label}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        if (doc.get("apiVersion"), doc.get("kind")) in CUSTOM_KINDS:
            groups = (doc.get("spec") or {}).get("groups") or []
            rules = [rule for group in groups for rule in group.get("rules") or []]
            if not rules or any(not (r.get("alert") and r.get("expr")) for r in rules):
                problems.append(f"{name}: every rule needs `alert` and `expr`")
            continue
        if istio_schemas.is_istio(doc):
            problems += [f"{name} (Istio {istio_schemas.ISTIO_VERSION}): {p}"
                         for p in istio_schemas.validate(doc)]  # fmt: skip
            continue
        for version in KUBERNETES_VERSIONS:
            try:
                kubernetes_validate.validate(
                    doc, latest if version == "latest" else version, strict=True
                )
            except kubernetes_validate.ValidationError as exc:
                path = "/".join(str(p) for p in exc.path)
                problems.append(f"{name} (Kubernetes {version}): {path}: {exc.message}")
            except kubernetes_validate.SchemaNotFoundError as exc:
                problems.append(f"{name} (Kubernetes {version}): no schema: {exc}")
    return problems


def strip_helm(doc: dict) -> dict:
    """Plain manifests: no helm hook annotations or helm-only labels."""
    meta = doc["metadata"]
    annotations = meta.get("annotations") or {}
    for key in [k for k in annotations if k.startswith("helm.sh/")]:
        del annotations[key]
    if "annotations" in meta and not annotations:
        del meta["annotations"]
    labels = meta.get("labels") or {}
    labels.pop("helm.sh/chart", None)
    if labels.get("app.kubernetes.io/managed-by") == "Helm":
        labels["app.kubernetes.io/managed-by"] = "kubectl"
    return doc


def k8s_files(docs: list[dict]) -> dict[str, str]:
    """{file name: text} of the plain manifests for deploy/k8s/."""
    files: dict[str, str] = {}
    for doc in docs:
        kind = doc["kind"].lower()
        component = (doc["metadata"].get("labels") or {}).get("app.kubernetes.io/component")
        name = f"{component + '-' if component else ''}{kind}.yaml"
        if name in files:
            raise ChartError(f"two documents would be written to deploy/k8s/{name}")
        files[name] = HEADER + yaml.safe_dump(strip_helm(doc), sort_keys=False, width=100)
    # The migrate Job runs first and on its own (deploy/README.md): a Job's pod template cannot
    # be changed by a later `kubectl apply`.
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(f for f in files if not f.endswith("-job.yaml")),
    }
    files["kustomization.yaml"] = HEADER + yaml.safe_dump(kustomization, sort_keys=False)
    return dict(sorted(files.items()))


def check() -> list[str]:
    problems: list[str] = []
    for extra in [[], *([p] for p in values_files())]:
        label = extra[0].name if extra else "default values"
        args = ["lint", str(CHART), "--strict", *(a for p in extra for a in ("-f", str(p)))]
        try:
            run_helm(*args)
            docs = template(*extra)
        except ChartError as exc:
            problems.append(f"{label}: {exc}")
            continue
        print(f"[chart] {label}: helm lint ok, {len(docs)} documents rendered")
        problems += validate(docs, label)
        if not extra:
            files = k8s_files(docs)
            stale = [n for n, text in files.items() if _read(K8S / n) != text]
            extra_files = sorted({p.name for p in K8S.glob("*.yaml")} - set(files))
            if stale or extra_files:
                problems.append(
                    f"deploy/k8s is out of date with the chart (differs: {stale}, extra: "
                    f"{extra_files}); run `make k8s`"
                )
    problems += check_kind()
    return problems


def check_kind() -> list[str]:
    """deploy/kind/: the data stores it applies are valid Kubernetes; the cluster config is a
    kind config with the port mapping values-kind.yaml's NodePort needs."""
    docs = [d for d in yaml.safe_load_all((KIND / "datastores.yaml").read_text()) if d]
    problems = validate(docs, "kind/datastores.yaml")
    cluster = yaml.safe_load((KIND / "cluster.yaml").read_text())
    node_port = yaml.safe_load((KIND / "values-kind.yaml").read_text())["service"]["nodePort"]
    mapped = [
        m["containerPort"] for n in cluster.get("nodes", []) for m in n.get("extraPortMappings", [])
    ]
    if (cluster.get("apiVersion"), cluster.get("kind")) != ("kind.x-k8s.io/v1alpha4", "Cluster"):
        problems.append("kind/cluster.yaml: not a kind.x-k8s.io/v1alpha4 Cluster")
    if node_port not in mapped:
        problems.append(f"kind/cluster.yaml: NodePort {node_port} is not mapped to the host")
    print(f"[chart] kind: {len(docs)} data store documents checked")
    return problems + check_aws_manifests()


def check_aws_manifests() -> list[str]:
    """deploy/aws/k8s/: the service account by kubernetes-validate; the External Secrets
    resources (a CRD kubernetes-validate has no schema for) for the fields the sync needs."""
    aws = HERE.parent / "aws" / "k8s"
    problems = validate(
        [yaml.safe_load((aws / "service-account.yaml").read_text())], "aws/k8s/service-account"
    )
    docs = {d["kind"]: d for d in yaml.safe_load_all((aws / "external-secrets.yaml").read_text())}
    store, secret = docs.get("ClusterSecretStore"), docs.get("ExternalSecret")
    if not store or store["spec"]["provider"]["aws"].get("service") != "SecretsManager":
        problems.append("aws/k8s/external-secrets.yaml: no Secrets Manager ClusterSecretStore")
    elif not secret or secret["spec"]["secretStoreRef"]["name"] != store["metadata"]["name"]:
        problems.append("aws/k8s/external-secrets.yaml: the ExternalSecret uses another store")
    elif secret["spec"]["target"]["name"] != _chart_values()["existingSecret"]:
        problems.append("aws/k8s/external-secrets.yaml: target is not the chart's existingSecret")
    return problems


def _chart_values() -> dict:
    return yaml.safe_load((HERE / "values-production.yaml").read_text())


def _read(path: Path) -> str | None:
    return path.read_text() if path.is_file() else None


def write() -> None:
    files = k8s_files(template())
    for old in K8S.glob("*.yaml"):
        old.unlink()
    for name, text in files.items():
        (K8S / name).write_text(text)
    print(f"[chart] wrote {len(files)} files to {K8S.relative_to(HERE.parent.parent)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "write"])
    command = parser.parse_args().command
    try:
        if command == "write":
            write()
            return 0
        problems = check()
    except ChartError as exc:
        print(f"[chart] {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"[chart] {problem}", file=sys.stderr)
    if problems:
        return 1
    print("[chart] ok: lint, render, schemas, deploy/k8s up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
