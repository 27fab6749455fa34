"""deploy/kustomize: every overlay renders with `kubectl kustomize`, validates against the
Kubernetes schemas (offline, kubernetes-validate), and keeps the security properties an
operator relies on: GPU workers get no database, cache or Channels settings and cannot
reach PostgreSQL; every container runs as non-root with requests and limits; probes on
/healthz and /readyz; no Secret values in the repository."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ["local", "aws"]
KUBERNETES_VERSION = "1.31.0"
# Custom resources the schemas do not know (KEDA); checked by hand below.
CUSTOM_KINDS = {"ScaledObject", "TriggerAuthentication"}
WORKLOAD_KINDS = {"Deployment", "Job", "StatefulSet", "DaemonSet"}
PLATFORM_ONLY_ENV = {
    "DATABASE_URL",
    "DATABASE_OWNER_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "RENDER_SIGNING_KEY",
    "RENDER_SIGNING_KEY_PREVIOUS",
}


def render(overlay: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl (with its built-in kustomize) is needed to render deploy/"
    output = subprocess.run(
        [kubectl, "kustomize", str(ROOT / "deploy" / "kustomize" / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def manifests(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(request.param)


def _role(doc: dict[str, Any]) -> str:
    return str(doc["metadata"].get("labels", {}).get("app.kubernetes.io/component", ""))


def _pod(doc: dict[str, Any]) -> dict[str, Any]:
    return dict(doc["spec"]["template"]["spec"])


def _workloads(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] in WORKLOAD_KINDS]


def _env_names(pod: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        names |= {item["name"] for item in container.get("env", [])}
    return names


def _secret_names(pod: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        for item in container.get("env", []):
            ref = item.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                names.add(ref["name"])
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                names.add(source["secretRef"]["name"])
            if "configMapRef" in source:
                names.add("configmap:" + source["configMapRef"]["name"])
    return names


def test_every_manifest_validates_against_the_kubernetes_schemas(
    manifests: list[dict[str, Any]],
) -> None:
    checked = 0
    for doc in manifests:
        if doc["kind"] in CUSTOM_KINDS:
            continue
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        checked += 1
    assert checked >= 15


def test_roles_exist_with_probes_resources_and_non_root(manifests: list[dict[str, Any]]) -> None:
    workloads = _workloads(manifests)
    roles = {_role(d) for d in workloads}
    assert {"web", "platform-worker", "scheduler", "intake", "gpu-worker", "migrate"} <= roles
    for doc in workloads:
        pod = _pod(doc)
        security = pod.get("securityContext", {})
        assert security.get("runAsNonRoot") is True, doc["metadata"]["name"]
        assert pod.get("automountServiceAccountToken") is False, doc["metadata"]["name"]
        for container in pod["containers"]:
            limits = container.get("resources", {}).get("limits", {})
            requests = container.get("resources", {}).get("requests", {})
            name = doc["metadata"]["name"]
            assert {"cpu", "memory"} <= set(limits), name
            assert {"cpu", "memory"} <= set(requests), name
            context = container.get("securityContext", {})
            assert context.get("readOnlyRootFilesystem") is True, doc["metadata"]["name"]
            assert context.get("allowPrivilegeEscalation") is False
            if doc["kind"] == "Deployment":
                assert "livenessProbe" in container and "readinessProbe" in container
    web = next(d for d in workloads if _role(d) == "web")
    container = _pod(web)["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_gpu_workers_get_no_database_cache_or_platform_secrets(
    manifests: list[dict[str, Any]],
) -> None:
    gpu = [d for d in _workloads(manifests) if _role(d) == "gpu-worker"]
    assert gpu
    for doc in gpu:
        pod = _pod(doc)
        assert not _env_names(pod) & PLATFORM_ONLY_ENV, doc["metadata"]["name"]
        secrets = _secret_names(pod)
        assert not any(name.startswith("backlot-platform") for name in secrets), secrets
        assert not any("database" in name or "db" in name.split("-") for name in secrets)
        container = pod["containers"][0]
        assert int(container["resources"]["limits"]["nvidia.com/gpu"]) >= 1
        assert pod.get("nodeSelector") and pod.get("tolerations")
        assert any(t.get("key") == "nvidia.com/gpu" for t in pod["tolerations"])


def test_network_policies_keep_gpu_workers_away_from_postgres_and_the_cache(
    manifests: list[dict[str, Any]],
) -> None:
    policies = [d for d in manifests if d["kind"] == "NetworkPolicy"]
    selected = {
        p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component", "*")
        for p in policies
    }
    # A default deny for everything, and a policy for every role.
    assert "*" in selected
    assert {"web", "platform-worker", "scheduler", "intake", "gpu-worker", "migrate"} <= selected
    gpu = [
        p
        for p in policies
        if p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component")
        == "gpu-worker"
    ]
    for policy in gpu:
        assert "Egress" in policy["spec"]["policyTypes"]
        assert not policy["spec"].get("ingress")
        ports = {
            port.get("port")
            for rule in policy["spec"].get("egress", [])
            for port in rule.get("ports", [])
        }
        assert 5432 not in ports and None not in ports
        assert ports <= {53, 443, 6379, 9000}, ports
        for rule in policy["spec"].get("egress", []):
            assert rule.get("ports"), "an egress rule without ports allows everything"


def test_scaling_disruption_and_no_committed_secrets(manifests: list[dict[str, Any]]) -> None:
    kinds = {(d["kind"], _role(d)) for d in manifests}
    assert ("HorizontalPodAutoscaler", "web") in kinds
    assert ("PodDisruptionBudget", "web") in kinds
    assert ("PodDisruptionBudget", "scheduler") in kinds
    scaled = [d for d in manifests if d["kind"] == "ScaledObject"]
    gpu_names = {d["metadata"]["name"] for d in _workloads(manifests) if _role(d) == "gpu-worker"}
    assert {s["spec"]["scaleTargetRef"]["name"] for s in scaled} == gpu_names
    for item in scaled:
        assert item["spec"]["minReplicaCount"] == 0
        assert item["spec"]["triggers"][0]["type"] == "redis"
    scheduler = next(d for d in _workloads(manifests) if _role(d) == "scheduler")
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"]["type"] == "Recreate"
    # Secrets are referenced by name; none is defined with values here.
    assert not [d for d in manifests if d["kind"] == "Secret"]
