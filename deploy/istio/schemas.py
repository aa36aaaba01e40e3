#!/usr/bin/env python3
"""Istio resources of the chart, validated offline against Istio's own CRD schemas.

    python deploy/istio/schemas.py generate   (re)write crds/<ISTIO_VERSION>/*.json (needs the
                                               pinned source package, see below)
    from deploy.istio.schemas import validate  used by deploy/helm/chart.py check

Source of the schemas: the PyPI package `cloudcoil-models-istio` (version ISTIO_VERSION + one
packaging digit), whose models are generated from the `openAPIV3Schema` of the CRDs of that
Istio release (manifests/charts/base crd-all.gen.yaml). `generate` runs in a throwaway
virtualenv (`make istio-schemas`), never in the project's:

    python -m venv /tmp/istio-schemas
    /tmp/istio-schemas/bin/pip install cloudcoil-models-istio==1.24.2.1
    /tmp/istio-schemas/bin/python deploy/istio/schemas.py generate

The JSON Schemas it writes are the models' schemas made strict the way the API server's strict
field validation is (`kubectl apply --validate=strict`, the default since Kubernetes 1.27): an
object with declared fields rejects any other field. The checks cover field names, nesting,
types, enums and required fields; CEL rules (x-kubernetes-validations) are not evaluated.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ISTIO_VERSION = "1.24.2"
SOURCE_PACKAGE = "cloudcoil-models-istio==1.24.2.1"
CRDS = Path(__file__).resolve().parent / "crds" / ISTIO_VERSION
# (module, class) of every kind the chart renders.
KINDS = {
    ("networking.istio.io/v1", "Gateway"): ("networking.v1", "Gateway"),
    ("networking.istio.io/v1", "VirtualService"): ("networking.v1", "VirtualService"),
    ("networking.istio.io/v1", "DestinationRule"): ("networking.v1", "DestinationRule"),
    ("security.istio.io/v1", "PeerAuthentication"): ("security.v1", "PeerAuthentication"),
    ("security.istio.io/v1", "AuthorizationPolicy"): ("security.v1", "AuthorizationPolicy"),
}
GROUPS = ("networking.istio.io/", "security.istio.io/", "telemetry.istio.io/")


def schema_path(api_version: str, kind: str) -> Path:
    return CRDS / f"{api_version.replace('/', '_')}_{kind}.json"


def _strict(node):
    """Declared fields only (apiserver strict field validation), recursively."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for key in ("title", "default"):
            if isinstance(node.get(key), str | int | float | bool | type(None)):
                node.pop(key, None)
        for value in node.values():
            _strict(value)
    elif isinstance(node, list):
        for value in node:
            _strict(value)
    return node


def generate() -> None:
    import importlib

    CRDS.mkdir(parents=True, exist_ok=True)
    for (api_version, kind), (module, name) in KINDS.items():
        model = getattr(importlib.import_module(f"cloudcoil.models.istio.{module}"), name)
        schema = _strict(model.model_json_schema(by_alias=True, mode="validation"))
        schema["$comment"] = f"{api_version} {kind}, Istio {ISTIO_VERSION}, from {SOURCE_PACKAGE}"
        schema["required"] = ["apiVersion", "kind", "metadata", "spec"]
        path = schema_path(api_version, kind)
        path.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
        print(f"[istio] wrote {path.name}")


def is_istio(doc: dict) -> bool:
    return str(doc.get("apiVersion", "")).startswith(GROUPS)


def validate(doc: dict) -> list[str]:
    """Problems of one rendered Istio resource (empty: valid)."""
    import jsonschema

    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    path = schema_path(api_version, kind)
    if not path.is_file():
        return [f"no Istio {ISTIO_VERSION} schema for {api_version} {kind} in {CRDS}"]
    schema = json.loads(path.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    ]


if __name__ == "__main__":
    if sys.argv[1:] != ["generate"]:
        sys.exit(__doc__)
    generate()
