"""deploy/helm/pitwall renders offline with Helm's own engine (helm-python-sdk, Helm v4 SDK,
pinned in uv.lock), and every manifest validates against the Kubernetes schemas
(kubernetes-validate, offline, strict). Then the platform rules are checked on the output."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import kubernetes_validate
import pytest
import yaml
from helm_python import Chart, HelmRenderError, lint

from tests.deploy.helpers import DEPLOY, read_yaml

CHART = DEPLOY / "helm" / "pitwall"
TEST_VALUES = CHART / "ci" / "test-values.yaml"
AIRFLOW_VALUES = DEPLOY / "helm" / "airflow-values.yaml"
KUBE_VERSION = "1.33"
DIGEST = re.compile(r"@sha256:[a-f0-9]{64}$")
WORKLOADS = {"Deployment", "StatefulSet", "Job", "CronJob"}


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    chart = Chart.load(CHART)
    rendered = chart.render(values, name="pitwall", namespace="pitwall", is_install=True)
    return [
        doc
        for path, text in sorted(rendered.items())
        if path.endswith(".yaml")
        for doc in yaml.safe_load_all(text)
        if doc
    ]


@cache
def manifests() -> tuple[dict[str, Any], ...]:
    return tuple(render(read_yaml(TEST_VALUES)))


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def workloads() -> list[dict[str, Any]]:
    return [d for d in manifests() if d["kind"] in WORKLOADS]


def test_the_chart_lints_clean() -> None:
    report = lint(CHART, read_yaml(TEST_VALUES), strict=True, namespace="pitwall",
                  kube_version=f"v{KUBE_VERSION}.0")  # fmt: skip
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_every_manifest_validates_against_the_kubernetes_schemas() -> None:
    kinds = [d["kind"] for d in manifests()]
    expected = {"Namespace", "Deployment", "StatefulSet", "Service", "HorizontalPodAutoscaler",
                "NetworkPolicy", "Job", "CronJob", "Ingress"}  # fmt: skip
    assert expected <= set(kinds)
    for doc in manifests():
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)


def test_the_validator_catches_a_broken_manifest() -> None:
    broken = next(d for d in manifests() if d["kind"] == "Service")
    bad = {**broken, "spec": {**broken["spec"], "ports": [{"port": "not-a-number"}]}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBE_VERSION, strict=True)


def test_images_are_pulled_by_digest_and_the_chart_refuses_none() -> None:
    for doc in workloads():
        for container in pod_spec(doc)["containers"]:
            assert DIGEST.search(container["image"]), (doc["metadata"]["name"], container["image"])
    values = read_yaml(TEST_VALUES)
    values["images"]["api"] = {"digest": ""}
    with pytest.raises(HelmRenderError, match=r"images\.api\.digest is required"):
        render(values)
    values["images"]["api"] = {"digest": "latest"}
    with pytest.raises(HelmRenderError, match="sha256"):
        render(values)


def test_pod_security_restricted_and_read_only_roots() -> None:
    namespace = next(d for d in manifests() if d["kind"] == "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc in workloads():
        spec = pod_spec(doc)
        name = doc["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec.get("hostNetwork") is not True and spec.get("hostPID") is not True, name
        assert spec["automountServiceAccountToken"] is False, name
        for c in spec["containers"]:
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["capabilities"]["drop"] == ["ALL"] and "add" not in sc["capabilities"]
            assert set(c["resources"]["requests"]) >= {"cpu", "memory"}, name
            assert set(c["resources"]["limits"]) >= {"cpu", "memory"}, name
            # a writable /tmp on an emptyDir, since the root is read-only
            assert any(m["mountPath"] == "/tmp" for m in c["volumeMounts"]), name


def test_long_running_pods_have_probes() -> None:
    for doc in workloads():
        if doc["kind"] in ("Deployment", "StatefulSet"):
            for c in pod_spec(doc)["containers"]:
                assert "readinessProbe" in c and "livenessProbe" in c, doc["metadata"]["name"]


def test_secrets_are_only_referenced_never_inlined() -> None:
    assert [d for d in manifests() if d["kind"] == "Secret"] == []
    secretish = re.compile(r"PASSWORD|SECRET|TOKEN|KEY$|_DSN$")
    for doc in workloads():
        for c in pod_spec(doc)["containers"]:
            for var in c.get("env", []):
                if secretish.search(var["name"]) and "value" in var:
                    # a DSN may be assembled from a referenced password, never hold one
                    assert "$(PITWALL_PG_" in var["value"], (doc["metadata"]["name"], var)
                    assert "sslmode=verify-full" in var["value"]


def test_the_api_autoscales_and_capture_daemons_have_udp_services() -> None:
    hpa = next(d for d in manifests() if d["kind"] == "HorizontalPodAutoscaler")
    api = next(
        d
        for d in manifests()
        if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("-api")
    )
    assert hpa["spec"]["scaleTargetRef"]["name"] == api["metadata"]["name"]  # fmt: skip
    assert "replicas" not in api["spec"]  # the HPA owns it
    captures = [d for d in manifests() if d["kind"] == "StatefulSet"]
    assert len(captures) == len(read_yaml(TEST_VALUES)["capture"]["servers"])
    for sts in captures:
        assert sts["spec"]["replicas"] == 1
        service = next(d for d in manifests() if d["kind"] == "Service"
                       and d["metadata"]["name"] == sts["metadata"]["name"])  # fmt: skip
        assert [p["protocol"] for p in service["spec"]["ports"]] == ["UDP"]
        args = pod_spec(sts)["containers"][0]["args"]
        assert any(a.startswith("--upload=s3://") and "/landing/assetto/" in a for a in args)
        assert any(a.startswith("--metrics=") for a in args)


def test_network_policies_deny_by_default_and_cover_every_pod() -> None:
    policies = [d for d in manifests() if d["kind"] == "NetworkPolicy"]
    deny = next(p for p in policies if p["metadata"]["name"].endswith("default-deny"))
    assert set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny["spec"] and "egress" not in deny["spec"]
    selector = deny["spec"]["podSelector"]["matchLabels"]
    for doc in workloads():
        labels = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
        labels = labels["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), doc["metadata"]["name"]


def test_kedro_runs_the_production_env_with_landing_zones_any_node_can_reach() -> None:
    jobs = [d for d in workloads() if d["kind"] in ("Job", "CronJob")]
    assert {d["kind"] for d in jobs} == {"Job", "CronJob"}
    # every landing zone is on the object store: no shared volume to schedule around
    assert not [d for d in manifests() if d["kind"] == "PersistentVolumeClaim"]
    daemons = [
        pod_spec(d)["containers"][0]["args"] for d in manifests() if d["kind"] == "StatefulSet"
    ]
    uploads = [
        a.removeprefix("--upload=") for args in daemons for a in args if a.startswith("--upload=")
    ]
    assert daemons and len(uploads) == len(daemons)
    assert all("--local-copies=delete" in args for args in daemons)
    landing = (
        read_yaml(TEST_VALUES).get("objectStore", {}).get("landingUri")
        or read_yaml(CHART / "values.yaml")["objectStore"]["landingUri"]
    )
    for doc in jobs:
        container = pod_spec(doc)["containers"][0]
        env = {v["name"]: v.get("value") for v in container["env"]}
        assert env["PITWALL_KEDRO_ENV"] == "production"
        assert "local" not in container.get("command", [])
        for source in ("csv", "scraper", "assetto"):
            assert env[f"PITWALL_{source.upper()}_LANDING"] == f"{landing.rstrip('/')}/{source}"
        # ingest_assetto reads where every capture daemon uploads
        assert {upload.rsplit("/", 1)[0] for upload in uploads} == {env["PITWALL_ASSETTO_LANDING"]}
        assert not any(v.get("persistentVolumeClaim") for v in pod_spec(doc)["volumes"])


def test_airflow_values_use_the_kubernetes_executor_and_no_inline_secret() -> None:
    values = read_yaml(AIRFLOW_VALUES)
    assert values["executor"] == "KubernetesExecutor"
    env = {e["name"]: e["value"] for e in values["env"]}
    assert env["PITWALL_KEDRO_ENV"] == "production"
    assert env["PITWALL_CSV_LANDING"].startswith("s3://")
    for source in ("scraper", "assetto"):
        landing = env[f"PITWALL_{source.upper()}_LANDING"]
        assert landing == env["PITWALL_CSV_LANDING"].replace("/csv", f"/{source}")
    assert values["postgresql"]["enabled"] is False and values["redis"]["enabled"] is False
    for key in ("fernetKeySecretName", "apiSecretKeySecretName", "jwtSecretName"):
        assert values[key]
    assert values["data"]["metadataSecretName"]
    assert all(set(s) == {"envName", "secretName", "secretKey"} for s in values["secret"])
    mounts = {m["mountPath"] for m in values["workers"]["extraVolumeMounts"]}
    assert "/tmp" in mounts and not any(m.startswith("/data") for m in mounts)
    assert not any(v.get("persistentVolumeClaim") for v in values["workers"]["extraVolumes"])
    assert values["securityContexts"]["containers"]["readOnlyRootFilesystem"] is True
