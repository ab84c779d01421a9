#!/bin/sh
# Renders the manifests for another API group (older OSAC clusters use cloudkit.openshift.io):
#   deploy/render.sh cloudkit.openshift.io | kubectl apply -f -
# The group also prefixes the controller's finalizer, annotations and VM label; set the same group
# in vmLifecycle.apiGroup.
set -eu
group="${1:?usage: render.sh API_GROUP}"
case "$group" in
  *[!a-z0-9.-]*|.*|*.|'') echo "render.sh: not a DNS subdomain: $group" >&2; exit 2 ;;
esac
dir="$(cd "$(dirname "$0")" && pwd)"
escaped="$(printf '%s' "$group" | sed 's/\./\\./g')"
for f in crd.yaml rbac.yaml; do
  echo '---'
  sed "s/osac\.openshift\.io/$escaped/g" "$dir/$f"
done
