#!/usr/bin/env bash
# The chart on a local kind cluster, end to end: build the image, load it into the nodes,
# install the in-cluster data stores and the chart (the migrate job runs first), seed an
# operator, run the smoke check against http://localhost:8080, tear everything down.
#
#   deploy/kind/run.sh            (needs docker, kind, kubectl and helm on PATH)
#   KEEP=1 deploy/kind/run.sh     leave the cluster running afterwards (kind delete cluster
#                                 --name schools24 removes it)
#
# The manifests it applies (cluster.yaml, datastores.yaml, values-kind.yaml with the chart) are
# rendered and schema-checked by `make lint`; the script itself needs a Docker daemon.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=deploy/kind
CLUSTER=schools24
SMOKE_EMAIL=${SMOKE_EMAIL:-smoke-operator@alice.test}
SMOKE_PASSWORD=${SMOKE_PASSWORD:-kind-smoke-password-1}

cleanup() { [ "${KEEP:-}" = 1 ] || kind delete cluster --name "$CLUSTER"; }
trap cleanup EXIT

echo "== 1. image"
docker build -t schools24:kind .

echo "== 2. cluster"
kind create cluster --config "$HERE/cluster.yaml" --wait 120s
kind load docker-image schools24:kind --name "$CLUSTER"

echo "== 3. PostgreSQL and MongoDB"
kubectl apply -f "$HERE/datastores.yaml"
kubectl rollout status statefulset/postgres --timeout=180s
kubectl rollout status statefulset/mongodb --timeout=180s

echo "== 4. chart (migrate job first, as a pre-install hook)"
helm upgrade --install schools24 deploy/helm/schools24 -f "$HERE/values-kind.yaml" \
  --atomic --wait --timeout 10m

echo "== 5. demo data and an operator to sign in as"
kubectl exec deploy/schools24-web -- python manage.py seed_demo
kubectl exec -i deploy/schools24-web -- python manage.py shell <<PY
from apps.accounts.models import School, User
school = School.objects.order_by("created_at").first()
user, _ = User.objects.get_or_create(
    email="$SMOKE_EMAIL", defaults={"school": school, "role": "admin", "full_name": "Smoke Operator"}
)
user.set_password("$SMOKE_PASSWORD")
user.save()
PY

echo "== 6. smoke check"
SMOKE_EMAIL=$SMOKE_EMAIL SMOKE_PASSWORD=$SMOKE_PASSWORD python3 deploy/smoke.py http://localhost:8080
echo "kind run passed"
