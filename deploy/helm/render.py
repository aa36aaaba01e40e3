#!/usr/bin/env python3
"""Render the Helm chart without helm, check the result, and (re)write deploy/k8s/.

    python deploy/helm/render.py                 render + check (exit 1 on a problem)
    python deploy/helm/render.py --write         also rewrite deploy/k8s/*.yaml from the render
    python deploy/helm/render.py -f my.yaml      extra values files, as with helm -f

When `helm` is on PATH, prefer `helm lint deploy/helm/schools24` and `helm template`; this is
for machines without it (CI here). It implements the subset of Go templates + sprig the chart
uses (define/include, if/else/with/range, variables, pipelines, and the functions listed in
FUNCS); anything else is an error, never silently skipped. Checks: every document parses as
YAML, has apiVersion/kind/metadata.name, and no value rendered as "<no value>".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CHART = HERE / "schools24"
K8S = HERE.parent / "k8s"
NO_VALUE = "<no value>"


class TemplateError(Exception):
    pass


# --- lexing -----------------------------------------------------------------------------------
ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)


def split_template(src: str) -> list[tuple[str, str]]:
    """[("text", s) | ("action", s)] with {{- / -}} whitespace trimming applied."""
    parts: list[tuple[str, str]] = []
    pos = 0
    trim_next = False
    for m in ACTION.finditer(src):
        text = src[pos : m.start()]
        if trim_next:
            text = text.lstrip()
        if m.group(1):
            text = text.rstrip()
        if text:
            parts.append(("text", text))
        body = m.group(2).strip()
        if not (body.startswith("/*") and body.endswith("*/")):
            parts.append(("action", body))
        trim_next = bool(m.group(3))
        pos = m.end()
    text = src[pos:]
    if trim_next:
        text = text.lstrip()
    if text:
        parts.append(("text", text))
    return parts


TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*") | (?P<raw>`[^`]*`) |
      (?P<num>-?\d+(?:\.\d+)?) |
      (?P<decl>:=) | (?P<assign>=) | (?P<pipe>\|) | (?P<lp>\() | (?P<rp>\)) | (?P<comma>,) |
      (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*) |
      (?P<field>(?:\.[A-Za-z0-9_]+)+|\.) |
      (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.X,
)


def tokenize(expr: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    expr = expr.strip()
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise TemplateError(f"cannot parse {expr[pos:]!r} in {{{{ {expr} }}}}")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(expr) and expr[pos].isspace():
            pos += 1
    return tokens


# --- parsing ----------------------------------------------------------------------------------
class Node:
    def __init__(self, kind: str, **kw: Any):
        self.kind = kind
        self.__dict__.update(kw)


def parse_pipeline(tokens: list[tuple[str, str]]) -> Node:
    """pipeline := [vars (:=|=)] command ('|' command)*"""
    decl = None
    for i, (kind, _) in enumerate(tokens):
        if kind in ("decl", "assign"):
            names = [v for k, v in tokens[:i] if k == "var"]
            decl = (kind, names)
            tokens = tokens[i + 1 :]
            break
    commands, current, depth = [], [], 0
    for tok in tokens:
        if tok[0] == "lp":
            depth += 1
        elif tok[0] == "rp":
            depth -= 1
        if tok[0] == "pipe" and depth == 0:
            commands.append(parse_command(current))
            current = []
        else:
            current.append(tok)
    commands.append(parse_command(current))
    return Node("pipeline", decl=decl, commands=commands)


def parse_command(tokens: list[tuple[str, str]]) -> list[Node]:
    args, i = [], 0
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "lp":
            depth, j = 1, i + 1
            while depth:
                if j >= len(tokens):
                    raise TemplateError("unbalanced parenthesis")
                depth += {"lp": 1, "rp": -1}.get(tokens[j][0], 0)
                j += 1
            args.append(parse_pipeline(tokens[i + 1 : j - 1]))
            i = j
            continue
        if kind == "str":
            args.append(Node("lit", value=json.loads(value)))
        elif kind == "raw":
            args.append(Node("lit", value=value[1:-1]))
        elif kind == "num":
            args.append(Node("lit", value=float(value) if "." in value else int(value)))
        elif kind == "var":
            name, *path = value.split(".")
            args.append(Node("var", name=name, path=path))
        elif kind == "field":
            args.append(Node("field", path=[p for p in value.split(".") if p]))
        elif kind == "ident":
            literal = {"true": True, "false": False, "nil": None}
            if value in literal:
                args.append(Node("lit", value=literal[value]))
            else:
                args.append(Node("func", name=value))
        else:
            raise TemplateError(f"unexpected {value!r}")
        i += 1
    if not args:
        raise TemplateError("empty command")
    return args


BLOCKS = ("if", "range", "with", "define")


def parse(parts: list[tuple[str, str]], defines: dict[str, list]) -> list:
    """Nested list of nodes; `define` bodies go to `defines`."""
    root: list = []
    stack: list[tuple[Node | None, list]] = [(None, root)]
    for kind, body in parts:
        out = stack[-1][1]
        if kind == "text":
            out.append(Node("text", text=body))
            continue
        word = body.split(None, 1)[0] if body else ""
        rest = body[len(word) :].strip()
        if word in BLOCKS:
            if word == "define":
                node = Node("define", name=json.loads(rest), body=[])
            else:
                node = Node(word, pipe=parse_pipeline(tokenize(rest)), body=[], orelse=None)
            out.append(node)
            stack.append((node, node.body))
        elif word == "else":
            node = stack[-1][0]
            if node is None or node.kind not in ("if", "range", "with"):
                raise TemplateError("else without if/range/with")
            if rest.startswith("if "):
                inner = Node("if", pipe=parse_pipeline(tokenize(rest[3:])), body=[], orelse=None)
                node.orelse = [inner]
                stack[-1] = (inner, inner.body)
                inner.chained = True
            else:
                node.orelse = []
                stack[-1] = (node, node.orelse)
        elif word == "end":
            node, _ = stack.pop()
            if node is None:
                raise TemplateError("end without block")
            if node.kind == "define":
                out_parent = stack[-1][1]
                out_parent.remove(node)
                defines[node.name] = node.body
        elif word == "template":
            toks = tokenize(rest)
            name = json.loads(toks[0][1])
            arg = parse_pipeline(toks[1:]) if len(toks) > 1 else None
            out.append(Node("template", name=name, arg=arg))
        else:
            out.append(Node("output", pipe=parse_pipeline(tokenize(body))))
    if len(stack) != 1:
        raise TemplateError(f"unclosed {stack[-1][0].kind}")
    return root


# --- evaluation -------------------------------------------------------------------------------
def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "") and not (
        isinstance(value, (list, dict, tuple)) and not value
    )


def to_string(value: Any) -> str:
    if value is None:
        return NO_VALUE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return "map[...]" if isinstance(value, dict) else "[...]"
    return str(value)


def to_yaml(value: Any) -> str:
    if value is None:
        return "null"
    return yaml.safe_dump(value, default_flow_style=False, sort_keys=True).rstrip("\n")


def indent(n: int, text: str) -> str:
    pad = " " * int(n)
    return "\n".join(pad + line for line in str(text).split("\n"))


def go_printf(fmt: str, *args: Any) -> str:
    it = iter(args)
    return re.sub(
        r"%[sdvq]",
        lambda m: to_string(next(it)) if m.group() != "%q" else json.dumps(to_string(next(it))),
        fmt,
    )


FUNCS: dict[str, Any] = {
    "toYaml": to_yaml,
    "nindent": lambda n, s: "\n" + indent(n, s),
    "indent": indent,
    "quote": lambda *v: " ".join(json.dumps(to_string(x) if x is not None else "") for x in v),
    "default": lambda d, v=None: v if truthy(v) else d,
    "trunc": lambda n, s: s[: int(n)],
    "trimSuffix": lambda suf, s: s[: -len(suf)] if suf and s.endswith(suf) else s,
    "trimPrefix": lambda pre, s: s[len(pre) :] if pre and s.startswith(pre) else s,
    "trim": lambda s: str(s).strip(),
    "printf": go_printf,
    "print": lambda *v: "".join(to_string(x) for x in v),
    "contains": lambda sub, s: sub in s,
    "replace": lambda old, new, s: s.replace(old, new),
    "sha256sum": lambda s: hashlib.sha256(s.encode()).hexdigest(),
    "splitList": lambda sep, s: s.split(sep),
    "toString": to_string,
    "list": lambda *v: list(v),
    "first": lambda v: v[0] if v else None,
    "not": lambda v: not truthy(v),
    "and": lambda *v: next((x for x in v if not truthy(x)), v[-1]),
    "or": lambda *v: next((x for x in v if truthy(x)), v[-1]),
    "eq": lambda a, *b: any(a == x for x in b),
    "ne": lambda a, b: a != b,
}


class Renderer:
    def __init__(self, root: dict, defines: dict[str, list]):
        self.root = root
        self.defines = defines

    def render(self, nodes: list, dot: Any, scope: list[dict]) -> str:
        out: list[str] = []
        for node in nodes:
            out.append(self.node(node, dot, scope))
        return "".join(out)

    def node(self, node: Node, dot: Any, scope: list[dict]) -> str:
        if node.kind == "text":
            return node.text
        if node.kind == "output":
            value = self.pipeline(node.pipe, dot, scope)
            return "" if node.pipe.decl else to_string(value)
        if node.kind == "template":
            arg = self.pipeline(node.arg, dot, scope) if node.arg else None
            return self.include(node.name, arg)
        if node.kind in ("if", "with"):
            inner = [*scope, {}]
            value = self.pipeline(node.pipe, dot, inner)
            if truthy(value):
                return self.render(node.body, value if node.kind == "with" else dot, inner)
            return self.render(node.orelse or [], dot, [*scope, {}])
        if node.kind == "range":
            value = self.pipeline(node.pipe, dot, scope, bind=False)
            names = node.pipe.decl[1] if node.pipe.decl else []
            if isinstance(value, dict):
                items = [(k, value[k]) for k in sorted(value)]
            elif isinstance(value, (list, tuple)):
                items = list(enumerate(value))
            elif not truthy(value):
                items = []
            else:
                raise TemplateError(f"range over {type(value).__name__}")
            if not items:
                return self.render(node.orelse or [], dot, [*scope, {}])
            out = []
            for key, item in items:
                frame: dict = {}
                if len(names) == 1:
                    frame[names[0]] = item
                elif len(names) == 2:
                    frame[names[0]], frame[names[1]] = key, item
                out.append(self.render(node.body, item, [*scope, frame]))
            return "".join(out)
        raise TemplateError(f"unknown node {node.kind}")

    def include(self, name: str, arg: Any) -> str:
        if name not in self.defines:
            raise TemplateError(f"no template {name!r}")
        return self.render(self.defines[name], arg, [{"$": arg}])

    def pipeline(self, pipe: Node, dot: Any, scope: list[dict], bind: bool = True) -> Any:
        value: Any = None
        for i, command in enumerate(pipe.commands):
            value = self.command(command, dot, scope, value if i else _MISSING)
        if pipe.decl and bind:
            kind, names = pipe.decl
            if kind == "decl":
                scope[-1][names[0]] = value
            else:
                for frame in reversed(scope):
                    if names[0] in frame:
                        frame[names[0]] = value
                        break
                else:
                    raise TemplateError(f"assignment to undeclared {names[0]}")
        return value

    def command(self, args: list[Node], dot: Any, scope: list[dict], piped: Any) -> Any:
        head = args[0]
        if head.kind == "func":
            values = [self.arg(a, dot, scope) for a in args[1:]]
            if piped is not _MISSING:
                values.append(piped)
            if head.name == "include":
                return self.include(values[0], values[1] if len(values) > 1 else None)
            if head.name == "index":
                value = values[0]
                for key in values[1:]:
                    value = value.get(key) if isinstance(value, dict) else value[key]
                return value
            if head.name not in FUNCS:
                raise TemplateError(f"function {head.name!r} is not implemented here")
            return FUNCS[head.name](*values)
        if len(args) > 1 or piped is not _MISSING:
            raise TemplateError("cannot call a non-function")
        return self.arg(head, dot, scope)

    def arg(self, node: Node, dot: Any, scope: list[dict]) -> Any:
        if node.kind == "lit":
            return node.value
        if node.kind == "pipeline":
            return self.pipeline(node, dot, scope)
        if node.kind == "field":
            return walk(dot, node.path)
        if node.kind == "var":
            name = node.name
            if name == "$":
                base = next((f["$"] for f in reversed(scope) if "$" in f), self.root)
            else:
                frame = next((f for f in reversed(scope) if name in f), None)
                if frame is None:
                    raise TemplateError(f"undefined variable {name}")
                base = frame[name]
            return walk(base, node.path)
        if node.kind == "func":
            return self.command([node], dot, scope, _MISSING)
        raise TemplateError(f"bad argument {node.kind}")


_MISSING = object()


def walk(value: Any, path: list[str]) -> Any:
    for key in path:
        if value is None:
            raise TemplateError(f"nil pointer evaluating .{'.'.join(path)}")
        value = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
    return value


# --- chart ----------------------------------------------------------------------------------
def deep_merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def render_chart(values_files: list[Path], release: str = "schools24", namespace: str = "default"):
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for path in values_files:
        values = deep_merge(values, yaml.safe_load(path.read_text()) or {})
    defines: dict[str, list] = {}
    trees: dict[str, list] = {}
    templates = sorted((CHART / "templates").iterdir())
    for path in templates:
        tree = parse(split_template(path.read_text()), defines)
        if not path.name.startswith("_"):
            trees[path.name] = tree
    root = {
        "Values": values,
        "Chart": {k[0].upper() + k[1:]: v for k, v in chart.items()},
        "Release": {"Name": release, "Namespace": namespace, "Service": "Helm"},
        "Template": {"BasePath": f"{chart['name']}/templates"},
    }
    # `include (print $.Template.BasePath "/x.yaml")` names a whole file.
    for name, tree in trees.items():
        defines[f"{chart['name']}/templates/{name}"] = tree
    renderer = Renderer(root, defines)
    return {name: renderer.render(tree, root, [{"$": root}]) for name, tree in trees.items()}


def check(rendered: dict[str, str]) -> list[tuple[str, dict]]:
    docs: list[tuple[str, dict]] = []
    problems: list[str] = []
    for name, text in rendered.items():
        if NO_VALUE in text:
            problems.append(f"{name}: renders {NO_VALUE!r}")
        if name.endswith(".txt"):
            continue
        try:
            for doc in yaml.safe_load_all(text):
                if doc is None:
                    continue
                meta = doc.get("metadata") or {}
                if not (doc.get("apiVersion") and doc.get("kind") and meta.get("name")):
                    problems.append(f"{name}: document without apiVersion/kind/metadata.name")
                docs.append((name, doc))
        except yaml.YAMLError as exc:
            problems.append(f"{name}: invalid YAML: {exc}")
    if problems:
        raise TemplateError("\n".join(problems))
    return docs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-f", "--values", action="append", type=Path, default=[])
    parser.add_argument("--write", action="store_true", help="rewrite deploy/k8s/ from the render")
    parser.add_argument("--show", action="store_true", help="print the rendered manifests")
    parser.add_argument(
        "--check-k8s", action="store_true", help="fail if deploy/k8s differs from the render"
    )
    args = parser.parse_args()
    try:
        rendered = render_chart(args.values)
        docs = check(rendered)
    except TemplateError as exc:
        print(f"chart check FAILED:\n{exc}", file=sys.stderr)
        return 1
    kinds = ", ".join(f"{d['kind']}/{d['metadata']['name']}" for _, d in docs)
    print(f"chart renders {len(docs)} valid documents: {kinds}")
    if args.show:
        for name, text in rendered.items():
            print(f"# --- {name}\n{text}")
    files = k8s_files(docs)
    if args.check_k8s:
        stale = [
            name
            for name, text in files.items()
            if not (K8S / name).is_file() or (K8S / name).read_text() != text
        ]
        extra = sorted({p.name for p in K8S.glob("*.yaml")} - set(files))
        if stale or extra:
            print(
                f"deploy/k8s is out of date with the chart (differs: {stale}, extra: {extra}); "
                "run: python deploy/helm/render.py --write",
                file=sys.stderr,
            )
            return 1
        print("deploy/k8s matches the chart")
    if args.write:
        for old in K8S.glob("*.yaml"):
            old.unlink()
        for name, text in files.items():
            (K8S / name).write_text(text)
        print(f"wrote {len(files)} files to {K8S}")
    return 0


HEADER = (
    "# Generated from deploy/helm/schools24 with its default values by\n"
    "# `python deploy/helm/render.py --write`; edit the chart, not this file.\n"
)


def k8s_files(docs: list[tuple[str, dict]]) -> dict[str, str]:
    """{file name: text} of the plain manifests for deploy/k8s/."""
    files: dict[str, str] = {}
    for _template, doc in docs:
        kind = doc["kind"].lower()
        component = doc["metadata"].get("labels", {}).get("app.kubernetes.io/component")
        name = f"{component + '-' if component else ''}{kind}.yaml"
        files[name] = HEADER + yaml.safe_dump(strip_helm(doc), sort_keys=False, width=100)
    # The migrate Job runs first and on its own (see deploy/README.md): a Job's pod
    # template cannot be changed by a later `kubectl apply`.
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(f for f in files if not f.endswith("-job.yaml")),
    }
    files["kustomization.yaml"] = HEADER + yaml.safe_dump(kustomization, sort_keys=False)
    return dict(sorted(files.items()))


def strip_helm(doc: dict) -> dict:
    """Plain manifests: no helm hook annotations or helm-only labels."""
    meta = doc["metadata"]
    for key in list(meta.get("annotations", {})):
        if key.startswith("helm.sh/"):
            del meta["annotations"][key]
    if meta.get("annotations") == {}:
        del meta["annotations"]
    labels = meta.get("labels", {})
    labels.pop("helm.sh/chart", None)
    if labels.get("app.kubernetes.io/managed-by") == "Helm":
        labels["app.kubernetes.io/managed-by"] = "kubectl"
    return doc


if __name__ == "__main__":
    sys.exit(main())
