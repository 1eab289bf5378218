"""Static checks of the deployment artefacts: kustomize renders, compose parses, Dockerfile shape."""

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVICES = ("councils", "budget", "evaluation")
APPS = (*SERVICES, "gateway")
SECRET_NAME = "seoul-governance-secrets"
NAMESPACE = "seoul-governance"

Manifest = dict[str, Any]


def _render(kustomization: str) -> list[Manifest]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not on PATH")
    result = subprocess.run(
        [kubectl, "kustomize", kustomization],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    docs = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert docs, f"{kustomization} rendered nothing"
    return docs


@pytest.fixture(scope="module", params=["deploy/k8s/base", "deploy/k8s/overlays/dev"])
def rendered(request: pytest.FixtureRequest) -> list[Manifest]:
    return _render(request.param)


@pytest.fixture(scope="module")
def dev() -> list[Manifest]:
    return _render("deploy/k8s/overlays/dev")


def _of_kind(docs: list[Manifest], kind: str) -> list[Manifest]:
    return [doc for doc in docs if doc["kind"] == kind]


def _one(docs: list[Manifest], kind: str, name: str) -> Manifest:
    found = [doc for doc in _of_kind(docs, kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def _workloads(docs: list[Manifest]) -> list[Manifest]:
    return [doc for doc in docs if doc["kind"] in ("Deployment", "StatefulSet", "Job", "CronJob")]


def _pod_spec(workload: Manifest) -> Manifest:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def _containers(pod: Manifest) -> list[Manifest]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def _argv(container: Manifest) -> str:
    return " ".join([*container.get("command", []), *container.get("args", [])])


# --- kustomize --------------------------------------------------------------------------------


def test_everything_is_namespaced_and_labelled(rendered: list[Manifest]) -> None:
    for doc in rendered:
        meta = doc["metadata"]
        if doc["kind"] != "Namespace":
            assert meta.get("namespace") == NAMESPACE, f"{doc['kind']}/{meta['name']}"
        assert meta["labels"]["app.kubernetes.io/part-of"] == NAMESPACE, f"{doc['kind']}/{meta['name']}"


def test_each_app_has_a_deployment_and_a_service(rendered: list[Manifest]) -> None:
    for app in APPS:
        deployment = _one(rendered, "Deployment", app)
        service = _one(rendered, "Service", app)
        selector = service["spec"]["selector"]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= pod_labels.items(), app
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items(), app
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
    (gateway_port,) = _one(rendered, "Service", "gateway")["spec"]["ports"]
    assert gateway_port["port"] == 80
    assert gateway_port["targetPort"] in (8080, "http")


def test_deployments_have_probes_limits_and_a_locked_down_security_context(
    rendered: list[Manifest],
) -> None:
    deployments = _of_kind(rendered, "Deployment")
    assert {d["metadata"]["name"] for d in deployments} >= set(APPS)
    for deployment in deployments:
        pod = _pod_spec(deployment)
        name = deployment["metadata"]["name"]
        for container in pod["containers"]:
            assert container["livenessProbe"]["httpGet"]["path"] == "/livez", name
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
            assert "startupProbe" in container, name
            limits = container["resources"]["limits"]
            assert limits.get("memory") and limits.get("cpu"), name
            assert container["resources"]["requests"], name
        mounts = {m["mountPath"] for c in pod["containers"] for m in c.get("volumeMounts", [])}
        assert "/tmp" in mounts, name  # noqa: S108 - the writable emptyDir of a read-only pod


def test_every_workload_runs_non_root_with_a_read_only_root(rendered: list[Manifest]) -> None:
    for workload in _workloads(rendered):
        pod = _pod_spec(workload)
        name = f"{workload['kind']}/{workload['metadata']['name']}"
        pod_sec = pod.get("securityContext", {})
        assert pod_sec.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
        for container in _containers(pod):
            sec = {**pod_sec, **container.get("securityContext", {})}
            assert sec.get("runAsNonRoot") is True, name
            assert sec.get("runAsUser", 0) != 0, name
            assert sec.get("readOnlyRootFilesystem") is True, name
            assert sec.get("allowPrivilegeEscalation") is False, name
            assert "ALL" in sec.get("capabilities", {}).get("drop", []), name
        if workload["metadata"]["name"] in (*APPS, "migrate"):
            assert pod_sec.get("runAsUser") == 10001, name
            # Service links would inject e.g. COUNCILS_PORT=tcp://... and clash with the settings.
            assert pod.get("enableServiceLinks") is False, name


def test_apps_run_uvicorn_with_their_factory(rendered: list[Manifest]) -> None:
    for app in APPS:
        (container,) = _pod_spec(_one(rendered, "Deployment", app))["containers"]
        argv = _argv(container)
        module = "gateway.main" if app == "gateway" else f"services.{app}.main"
        assert argv.startswith("uvicorn --factory"), argv
        assert f"{module}:create_app" in argv, argv
        assert container["image"].startswith("seoul-governance:"), container["image"]


def test_migrate_job_runs_ops_migrate(rendered: list[Manifest]) -> None:
    jobs = [
        job for job in _of_kind(rendered, "Job") if "ops.migrate" in _argv(_pod_spec(job)["containers"][0])
    ]
    assert len(jobs) == 1
    job = jobs[0]
    assert job["spec"]["backoffLimit"] >= 1
    assert job["spec"]["ttlSecondsAfterFinished"] > 0
    pod = _pod_spec(job)
    assert pod["restartPolicy"] in ("Never", "OnFailure")
    env = {e["name"] for e in pod["containers"][0].get("env", [])}
    assert {"DATABASE_URL", "COUNCILS_DB_PASSWORD", "BUDGET_DB_PASSWORD", "EVALUATION_DB_PASSWORD"} <= env


def test_no_long_running_container_runs_migrations(rendered: list[Manifest]) -> None:
    for workload in _workloads(rendered):
        if workload["kind"] == "Job":
            continue
        for container in _containers(_pod_spec(workload)):
            argv = _argv(container)
            assert "ops.migrate" not in argv and "alembic" not in argv, workload["metadata"]["name"]


def test_admin_database_url_only_reaches_the_migration(rendered: list[Manifest]) -> None:
    for deployment in _of_kind(rendered, "Deployment"):
        for container in _pod_spec(deployment)["containers"]:
            names = {e["name"] for e in container.get("env", [])}
            assert "DATABASE_URL" not in names, deployment["metadata"]["name"]
            assert not any("secretRef" in src for src in container.get("envFrom", []))


def test_base_commits_no_secret() -> None:
    assert not _of_kind(_render("deploy/k8s/base"), "Secret")


def test_dev_overlay_provides_every_referenced_config_and_secret(dev: list[Manifest]) -> None:
    secrets = {s["metadata"]["name"]: s for s in _of_kind(dev, "Secret")}
    configmaps = {c["metadata"]["name"] for c in _of_kind(dev, "ConfigMap")}
    (secret_name,) = [name for name in secrets if name.startswith(SECRET_NAME)]
    keys = set(secrets[secret_name].get("data", {}))
    for workload in _workloads(dev):
        for container in _containers(_pod_spec(workload)):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in configmaps
            for var in container.get("env", []):
                ref = var.get("valueFrom", {})
                if "secretKeyRef" in ref:
                    assert ref["secretKeyRef"]["name"] == secret_name, var["name"]
                    assert ref["secretKeyRef"]["key"] in keys, var["name"]
                if "configMapKeyRef" in ref:
                    assert ref["configMapKeyRef"]["name"] in configmaps, var["name"]
    config = next(
        c for c in _of_kind(dev, "ConfigMap") if c["metadata"]["name"].startswith("seoul-governance-config")
    )
    assert config["data"]["APP_ENV"] == "dev"


def test_gateway_pdb_and_network_policy(rendered: list[Manifest]) -> None:
    gateway_labels = _one(rendered, "Deployment", "gateway")["spec"]["template"]["metadata"]["labels"]
    (pdb,) = _of_kind(rendered, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= gateway_labels.items()

    policies = {p["metadata"]["name"]: p for p in _of_kind(rendered, "NetworkPolicy")}
    policy = policies.pop("services-allow-from-gateway")
    (expr,) = policy["spec"]["podSelector"]["matchExpressions"]
    assert expr["key"] == "app.kubernetes.io/name" and expr["operator"] == "In"
    assert sorted(expr["values"]) == sorted(SERVICES)
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = policy["spec"]["ingress"]
    (peer,) = rule["from"]
    assert set(peer) == {"podSelector"}
    assert peer["podSelector"]["matchLabels"].items() <= gateway_labels.items()
    assert [p["port"] for p in rule["ports"]] == [8080]
    # The calls between services, and no others: callee -> its callers.
    allowed = {}
    for other in policies.values():
        (callee_rule,) = other["spec"]["ingress"]
        (callers,) = callee_rule["from"]
        selector = callers["podSelector"]
        names = selector.get("matchExpressions", [{}])[0].get("values") or [
            selector["matchLabels"]["app.kubernetes.io/name"]
        ]
        allowed[other["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]] = sorted(names)
        assert [p["port"] for p in callee_rule["ports"]] == [8080]
    assert allowed == {"councils": ["budget", "evaluation"], "budget": ["evaluation"]}


# --- compose ----------------------------------------------------------------------------------


def _env_file(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#")
    )
    return {key.strip(): value.strip() for key, value in pairs}


def test_compose_file_parses_and_orders_startup() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "migrate", *APPS} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:16")
    assert "healthcheck" in services["postgres"]

    migrate = services["migrate"]
    assert migrate["command"] == ["python", "-m", "ops.migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in SERVICES:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert "ops.migrate" not in " ".join(services[name]["command"])
    for name in APPS:
        command = " ".join(services[name]["command"])
        assert "--factory" in command and "ops.migrate" not in command
        assert services[name]["read_only"] is True
    assert services["gateway"]["ports"] == ["8000:8080"]
    assert {d["condition"] for d in services["gateway"]["depends_on"].values()} == {"service_healthy"}
    published = [name for name, svc in services.items() if svc.get("ports")]
    assert published == ["gateway"]


def test_compose_env_example_holds_placeholders_only() -> None:
    env = _env_file(DEPLOY / "compose.env.example")
    for key in (
        "JWT_SECRET",
        "VOTER_HASH_SECRET",
        "POSTGRES_PASSWORD",
        *(f"{s.upper()}_DB_PASSWORD" for s in SERVICES),
    ):
        assert "change-me" in env[key], key
    for service in SERVICES:
        url = env[f"{service.upper()}_DATABASE_URL"]
        assert f":{env[f'{service.upper()}_DB_PASSWORD']}@" in url, service
    assert env["GATEWAY_COUNCILS_URL"] == "http://councils:8080"


# --- Dockerfile -------------------------------------------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_dockerfile_is_multi_stage_and_non_root() -> None:
    instructions = _dockerfile_instructions()
    froms = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert len(froms) > 1
    final_stage = instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM") :]
    users = [rest for keyword, rest in final_stage if keyword == "USER"]
    assert users, "the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert user == "10001"
    assert not any(keyword == "HEALTHCHECK" for keyword, _ in instructions)
    final_runs = " ".join(rest for keyword, rest in final_stage if keyword == "RUN")
    assert not re.search(r"\b(build-essential|gcc|g\+\+|make)\b", final_runs)
    env = " ".join(rest for keyword, rest in final_stage if keyword == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "PYTHONUNBUFFERED=1" in env
    (cmd,) = [rest for keyword, rest in final_stage if keyword == "CMD"]
    assert "gateway.main:create_app" in cmd and "ops.migrate" not in cmd


def test_image_build_fails_without_the_mes_kernel() -> None:
    instructions = _dockerfile_instructions()
    runs = [(i, rest) for i, (keyword, rest) in enumerate(instructions) if keyword == "RUN"]
    (install,) = [i for i, rest in runs if "pip install ." in rest]
    checks = [(i, rest) for i, rest in runs if "kernel_loaded()" in rest]
    assert checks, "no RUN step checks that the MES kernel loads"
    (check_at, check), *_ = checks
    assert check_at > install, "the kernel is checked before it is built"
    assert "sys.exit(0 if kernel_loaded() else" in check
    # Run outside /src, so the installed package (not the source tree) is the one imported.
    assert check.startswith("cd / &&")


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".data", ".env"} <= ignored


def test_image_installs_the_runtime_lock_with_hashes_and_the_project_without_deps() -> None:
    instructions = _dockerfile_instructions()
    numbered = list(enumerate(instructions))
    copies = [i for i, (keyword, rest) in numbered if keyword == "COPY" and "runtime.lock" in rest]
    installs = [(i, rest) for i, (keyword, rest) in numbered if keyword == "RUN" and "pip " in rest]
    (lock_at,) = [i for i, rest in installs if "--require-hashes -r requirements/runtime.lock" in rest]
    (project_at, project) = next((i, rest) for i, rest in installs if "pip install ." in rest)
    assert copies and copies[0] < lock_at < project_at
    # The project adds no dependency the lock did not pin, and builds with the locked setuptools.
    assert "--no-deps" in project and "--no-build-isolation" in project
    # No other pip install may fetch anything unhashed.
    for _, rest in installs:
        for command in re.split(r"&&|;", rest):
            if "pip install" in command:
                assert "--require-hashes" in command or "--no-deps" in command, command


def test_each_deployment_has_a_cpu_autoscaler(rendered: list[Manifest]) -> None:
    autoscalers = {
        hpa["spec"]["scaleTargetRef"]["name"]: hpa for hpa in _of_kind(rendered, "HorizontalPodAutoscaler")
    }
    for deployment in _of_kind(rendered, "Deployment"):
        name = deployment["metadata"]["name"]
        hpa = autoscalers.pop(name)
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert 1 <= hpa["spec"]["minReplicas"] <= deployment["spec"]["replicas"] <= hpa["spec"]["maxReplicas"]
        (metric,) = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu" and metric["resource"]["target"]["type"] == "Utilization"
        # Utilization is relative to the request: a container without a CPU request is never scaled.
        (container,) = _pod_spec(deployment)["containers"]
        assert container["resources"]["requests"]["cpu"]
    assert not autoscalers, f"autoscalers without a Deployment: {sorted(autoscalers)}"


def test_base_runs_at_least_two_of_everything() -> None:
    base = _render("deploy/k8s/base")
    for deployment in _of_kind(base, "Deployment"):
        name = deployment["metadata"]["name"]
        assert deployment["spec"]["replicas"] >= 2, name
        assert _one(base, "HorizontalPodAutoscaler", name)["spec"]["minReplicas"] >= 2, name
