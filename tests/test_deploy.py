"""The deployment files say what docs/operations.md promises, read statically (no container
engine or cluster here): `make validate-deploy` checks them against their schemas; these tests
check what the schemas cannot (timings against the app's settings, security contexts, routing,
start order, the release's migration Job, what CI and the image install)."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tasklane.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "production")
API_SERVICES = ("auth", "tasks", "notifications")
#: Which service answers a path: the table of docs/operations.md, the Ingress and nginx.
ROUTES = {
    "/api/v1/auth/login": "auth",
    "/api/v1/users/me": "auth",
    "/api/v1/admin/users": "auth",
    "/.well-known/jwks.json": "auth",
    "/api/v1/notifications": "notifications",
    "/api/v1/notifications/read": "notifications",
    "/api/v1/events": "notifications",
    "/api/v1/mail/unsubscribe": "notifications",
    "/api/v1/projects": "tasks",
    "/api/v1/tasks": "tasks",
    "/api/v1/tasks/stats": "tasks",
    "/api/docs": "tasks",
    "/": "tasks",
    "/settings": "tasks",
}


def _missing(what: str) -> None:
    """Skip where a tool is missing, but never in CI, where a skip would hide a check."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing in CI")
    pytest.skip(what)


def _kubectl() -> str:
    found = shutil.which("kubectl", path=str(ROOT / ".venv" / "bin")) or shutil.which("kubectl")
    if found is None:
        _missing("kubectl (make deploy-install installs requirements/deploy.txt)")
    assert found is not None
    return found


@cache
def _render(overlay: str) -> tuple[dict[str, Any], ...]:
    """The overlay as `kubectl apply -k` would send it."""
    out = subprocess.run(
        [_kubectl(), "kustomize", str(K8S / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return tuple(doc for doc in yaml.safe_load_all(out) if doc)


def _find(docs: tuple[dict[str, Any], ...], kind: str, name: str | None = None) -> list[Any]:
    return [
        d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]


def _pod_templates(docs: tuple[dict[str, Any], ...]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (d["metadata"]["name"], d["spec"]["template"]["spec"])
        for d in docs
        if d["kind"] in ("Deployment", "StatefulSet", "Job")
    ]


def _config(docs: tuple[dict[str, Any], ...], container: dict[str, Any]) -> dict[str, str]:
    """The environment a container gets from its ConfigMaps (generated names resolved)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            (config,) = _find(docs, "ConfigMap", source["configMapRef"]["name"])
            env.update(config["data"])
    return env


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_stop_within_their_grace_period(overlay: str) -> None:
    """Kubernetes kills a pod terminationGracePeriodSeconds after it starts stopping it: the
    preStop sleep, the app's drain and its grace for requests in flight must fit inside."""
    docs = _render(overlay)
    defaults = Settings()
    for name in (f"tasklane-{service}" for service in API_SERVICES):
        (deployment,) = _find(docs, "Deployment", name)
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        env = _config(docs, container)
        drain = float(env.get("TASKLANE_SHUTDOWN_DRAIN_SECONDS", defaults.shutdown_drain_seconds))
        grace = float(env.get("TASKLANE_SHUTDOWN_GRACE_SECONDS", defaults.shutdown_grace_seconds))
        pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert pod["terminationGracePeriodSeconds"] >= pre_stop + drain + grace, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_runs_unprivileged_on_a_read_only_file_system(overlay: str) -> None:
    for name, pod in _pod_templates(_render(overlay)):
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] != 0, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod["automountServiceAccountToken"] is False, name
        empty_dirs = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert "add" not in context["capabilities"], name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            if container["image"].split("/")[-1].startswith("tasklane"):
                # Where the app writes: temporary files and its var directory.
                assert mounts.get("/tmp") in empty_dirs, name
                assert mounts.get("/var/lib/tasklane") in empty_dirs, name
    (namespace,) = _find(_render(overlay), "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_runs_its_own_routes_and_starts_without_migrating(overlay: str) -> None:
    docs = _render(overlay)
    for service in API_SERVICES:
        (deployment,) = _find(docs, "Deployment", f"tasklane-{service}")
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        env = _config(docs, container)
        assert env["TASKLANE_SERVICES"] == service
        assert env["TASKLANE_WORKER_EMBEDDED"] == "false"
        assert container["args"][0] == "serve"
        assert "--no-migrate" in container["args"]
        assert container["startupProbe"]["httpGet"]["path"] == "/livez"
        assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        secrets = {
            s["secretRef"]["name"].rsplit("-", 1)[0]
            for s in container["envFrom"]
            if "secretRef" in s
        }
        # Only the auth service holds the signing key; the others verify with the JWKS.
        assert ("tasklane-signing" in secrets) == (service == "auth"), secrets
        if service != "auth":
            assert env["TASKLANE_JWKS_URL"].startswith("http://tasklane-auth:8000/")
        assert _find(docs, "HorizontalPodAutoscaler", f"tasklane-{service}")
        assert _find(docs, "PodDisruptionBudget", f"tasklane-{service}")
    (worker,) = _find(docs, "Deployment", "tasklane-worker")
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["worker"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_migration_job_is_named_after_the_release(overlay: str) -> None:
    docs = _render(overlay)
    (job,) = _find(docs, "Job")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["migrate"]
    tag = container["image"].rsplit(":", 1)[1]
    assert job["metadata"]["name"] == "tasklane-migrate-" + tag.replace(".", "-")
    # Every other Tasklane pod runs the same image.
    for _, pod in _pod_templates(docs):
        for other in pod["containers"]:
            if "tasklane" in other["image"]:
                assert other["image"] == container["image"]


def _ingress_routes(docs: tuple[dict[str, Any], ...]) -> list[tuple[str, str, str]]:
    routes = []
    for ingress in _find(docs, "Ingress"):
        assert ingress["spec"]["tls"], ingress["metadata"]["name"]
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                service = path["backend"]["service"]["name"].removeprefix("tasklane-")
                routes.append((path["path"], path["pathType"], service))
    return routes


def _ingress_target(routes: list[tuple[str, str, str]], url: str) -> str:
    """Kubernetes' rule: an Exact match first, then the longest Prefix match by path element."""
    for path, kind, service in routes:
        if kind == "Exact" and url == path:
            return service
    best = max(
        (
            r
            for r in routes
            if r[1] == "Prefix" and (r[0] == "/" or url == r[0] or url.startswith(r[0] + "/"))
        ),
        key=lambda r: len(r[0]),
    )
    return best[2]


def _nginx_target(conf: str, url: str) -> str:
    """nginx's rule for the location forms nginx.conf uses (=, ^~ and plain prefixes)."""
    locations = re.findall(
        r"location (=|\^~)?\s*(\S+) \{\s*proxy_pass http://tasklane_(\w+);", conf
    )
    for modifier, path, service in locations:
        if modifier == "=" and url == path:
            return service
    prefixes = [(path, service) for modifier, path, service in locations if modifier != "="]
    return max((p for p in prefixes if url.startswith(p[0])), key=lambda p: len(p[0]))[1]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_and_compose_nginx_route_each_path_to_its_service(overlay: str) -> None:
    routes = _ingress_routes(_render(overlay))
    conf = (ROOT / "deploy" / "compose" / "nginx.conf").read_text()
    for url, service in ROUTES.items():
        assert _ingress_target(routes, url) == service, url
        assert _nginx_target(conf, url) == service, url


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_starts_in_order_and_runs_each_service_locked_down() -> None:
    services = _compose()["services"]
    assert set(services) >= {
        "nginx", "migrate", "auth", "tasks", "notifications", "worker",
        "mariadb-primary", "mariadb-replica", "redis",
    }  # fmt: skip
    # The databases answer before the migrations run, once, before any service starts.
    assert services["migrate"]["depends_on"]["mariadb-primary"]["condition"] == "service_healthy"
    assert services["mariadb-replica"]["depends_on"]["mariadb-primary"]["condition"] == (
        "service_healthy"
    )
    for name in (*API_SERVICES, "worker"):
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["user"] != "root"
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in service["security_opt"]
        env_files = [Path(f).name for f in service["env_file"]]
        assert env_files == ["common.env", f"{name}.env"]
    for name in API_SERVICES:
        assert services[name]["deploy"]["replicas"] >= 2
        assert "--no-migrate" in services[name]["command"]
        assert services["nginx"]["depends_on"][name]["condition"] == "service_healthy"
    # Only nginx's X-Forwarded-For is believed.
    common = dict(
        line.split("=", 1)
        for line in (ROOT / "deploy" / "env" / "common.env").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    nginx_address = services["nginx"]["networks"]["tasklane"]["ipv4_address"]
    assert common["TASKLANE_TRUSTED_PROXIES"] == nginx_address
    assert "TASKLANE_JWT_PRIVATE_KEY" in services["auth"]["environment"]
    for name in ("tasks", "notifications", "worker"):
        assert "TASKLANE_JWT_PRIVATE_KEY" not in services[name]["environment"]
    # The data lives in named volumes.
    volumes = _compose()["volumes"]
    for name in ("mariadb-primary", "mariadb-replica", "redis"):
        mount = services[name]["volumes"][0]
        assert mount.split(":")[0] in volumes
    # The app may read each replica's state (its lag decides whether reads go there): the
    # primary's first start grants it, and the grant replicates.
    (grants,) = services["mariadb-primary"]["volumes"][1:]
    source, target, _ = grants.split(":")
    assert target.startswith("/docker-entrypoint-initdb.d/")
    sql = (ROOT / source).read_text()
    assert "GRANT SLAVE MONITOR ON *.* TO 'tasklane'@'%'" in sql
    user = services["mariadb-primary"]["environment"]["MARIADB_USER"]
    assert f"'{user}'@" in sql
    # Services that verify tokens with the auth service's keys start after it is healthy.
    for name in ("tasks", "notifications"):
        assert services[name]["depends_on"]["auth"]["condition"] == "service_healthy"


def _env_keys(path: Path) -> set[str]:
    return {
        line.split("=", 1)[0]
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }


def test_every_setting_the_deployment_files_set_exists() -> None:
    """A misspelt TASKLANE_ name would be ignored without a word: each one is a setting."""
    known = {f"TASKLANE_{name.upper()}" for name in Settings.model_fields}
    keys: set[str] = set()
    for path in [
        *(ROOT / "deploy" / "env").glob("*.env"),
        *(K8S / "base" / "config").glob("*.env"),
    ]:
        keys |= _env_keys(path)
    for service in _compose()["services"].values():
        keys |= {k for k in service.get("environment", {}) if k.startswith("TASKLANE_")}
    for overlay in OVERLAYS:
        for kind in ("ConfigMap", "Secret"):
            for doc in _find(_render(overlay), kind):
                keys |= {k for k in doc.get("data", {}) if k.startswith("TASKLANE_")}
    unknown = sorted(keys - known)
    assert not unknown, unknown


def test_the_image_holds_what_running_needs_and_runs_unprivileged() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    final = dockerfile.rsplit("\nFROM ", 1)[1]
    assert "requirements/dev.txt" not in dockerfile.replace("never requirements/dev.txt", "")
    assert "--require-hashes -r requirements/main.txt" in dockerfile
    assert re.search(r"^USER 10001", final, re.M)
    assert re.search(r'^ENTRYPOINT \["tasklane"\]', final, re.M)
    assert re.search(r"^HEALTHCHECK .*\n\s+CMD \[", final, re.M)
    assert "--no-migrate" in final
    # The final stage copies built files only: no source tree, no Node, no compiler.
    copies = re.findall(r"^COPY (.*)$", final, re.M)
    assert copies
    assert all(c.startswith("--from=") for c in copies), copies
    # The build context is what .dockerignore lets through: everything the build stages copy
    # (re-included after "*"), and no virtual environment, node_modules or dev requirements.
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*"

    def in_context(path: str) -> bool:
        kept = False
        for rule in rules[1:]:
            pattern = rule.removeprefix("!").rstrip("/")
            if path == pattern or path.startswith(pattern + "/"):
                kept = rule.startswith("!")
        return kept

    sources = [
        source
        for line in re.findall(r"^COPY (?!--from)(.*)$", dockerfile, re.M)
        for source in line.split()[:-1]
    ]
    assert sources
    for source in sources:
        assert in_context(source.rstrip("/")), source
    for path in (".venv", "web/node_modules", "web/dist", "var", "requirements/dev.txt", "tests"):
        assert not in_context(path), path


def _pins(path: Path) -> set[str]:
    return {
        canonicalize_name(m.group(1))
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", path.read_text(), re.M)
    }


def test_make_run_installs_what_running_needs_and_nothing_more() -> None:
    """`make install` (and the image) install requirements/main.txt alone, with hashes: every
    dependency of what it pins is pinned there too, and no test or lint tool is."""
    makefile = (ROOT / "Makefile").read_text()
    stamp = re.search(r"^\$\(STAMP\):.*?\n\n", makefile, re.M | re.S)
    assert stamp is not None
    assert "requirements/main.txt" in stamp.group(0)
    assert "dev.txt" not in stamp.group(0)
    assert re.search(r"^run: install\b", makefile, re.M)
    assert re.search(r"^test-sqlite: dev-install\b", makefile, re.M)
    main = _pins(ROOT / "requirements" / "main.txt")
    assert not main & {"pytest", "ruff", "mypy", "coverage", "hypothesis", "bandit"}
    project = metadata.distribution("tasklane").requires or []
    missing = set()
    for name in [*main, "tasklane"]:
        requires = project if name == "tasklane" else (metadata.distribution(name).requires or [])
        for text in requires:
            requirement = Requirement(text)
            applies = requirement.marker is None or requirement.marker.evaluate({"extra": ""})
            if applies and canonicalize_name(requirement.name) not in main:
                missing.add(f"{requirement.name} (for {name})")
    assert not missing, sorted(missing)


def test_the_workflow_runs_every_check_of_make_test() -> None:
    """.ci/run (`make test`, `make bench-smoke`) stays the one list of what CI checks; each of
    its targets is a step of the workflow."""
    makefile = (ROOT / "Makefile").read_text()
    test = re.search(r"^test: (.*)\n((?:\t.*\n)+)", makefile, re.M)
    assert test is not None
    wanted = set(test.group(1).split()) - {"system-deps"}
    for line in test.group(2).splitlines():
        found = re.search(r"\$\(MAKE\) (.+)", line)
        if found:
            wanted |= set(found.group(1).split())
    ci_run = (ROOT / ".ci" / "run").read_text()
    wanted |= {
        t for line in ci_run.splitlines() if line.startswith("make ") for t in line.split()[1:]
    }
    wanted.discard("test")
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    ran: set[str] = set()
    for job in workflow["jobs"].values():
        databases = job.get("strategy", {}).get("matrix", {}).get("database", [])
        for step in job["steps"]:
            for command in re.findall(r"^make ([^\n]+)", step.get("run", ""), re.M):
                for target in command.replace("${{ matrix.database }}", "{db}").split():
                    ran |= (
                        {target.format(db=d) for d in databases} if "{db}" in target else {target}
                    )
    assert wanted - ran == set(), sorted(wanted - ran)
    assert {"sqlite", "mariadb", "postgresql"} <= {
        d
        for job in workflow["jobs"].values()
        for d in job.get("strategy", {}).get("matrix", {}).get("database", [])
    }


def _pem_key() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


#: What an operator puts in the Secrets the production overlay and compose.yaml expect
#: (docs/operations.md): stand-ins of the right form.
SECRET_STAND_INS = {
    "tasklane-secrets": {
        "TASKLANE_DATABASE_URL": "mysql+asyncmy://tasklane:pw@db.internal:3306/tasklane",
        "TASKLANE_DATABASE_REPLICA_URLS": "mysql+asyncmy://tasklane:pw@replica.internal:3306/tasklane",
        "TASKLANE_REDIS_URL": "redis://redis.internal:6379/0",
        "TASKLANE_MAIL_LINK_SECRET": "x" * 40,
    },
    "tasklane-signing-key": {"TASKLANE_JWT_PRIVATE_KEY": "key"},
}


def _settings(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in [n for n in os.environ if n.startswith("TASKLANE_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_starts_with_valid_settings(
    overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings each Tasklane container gets (ConfigMaps, Secrets, its own env) pass the
    app's validation: the signing key only where auth runs, the key set elsewhere, production's
    required secrets present."""
    docs = _render(overlay)
    key = _pem_key()
    for name, pod in _pod_templates(docs):
        for container in pod["containers"]:
            if "tasklane" not in container["image"]:
                continue
            env = _config(docs, container)
            for source in container["envFrom"]:
                ref = source.get("secretRef")
                if ref is None:
                    continue
                found = _find(docs, "Secret", ref["name"])
                if found:
                    data = {k: base64.b64decode(v).decode() for k, v in found[0]["data"].items()}
                elif ref.get("optional"):
                    continue
                else:
                    data = dict(SECRET_STAND_INS[ref["name"]])
                    data = {k: key if v == "key" else v for k, v in data.items()}
                env.update(data)
            env.update({e["name"]: e["value"] for e in container.get("env", [])})
            settings = _settings(env, monkeypatch)
            assert settings.environment == ("development" if overlay == "dev" else "production")
            if name == "tasklane-migrate" or name.startswith("tasklane-migrate-"):
                assert "auth" not in settings.services
            elif name in ("tasklane-worker", "tasklane-notifications"):
                assert settings.services == ("notifications",)


def test_every_compose_container_starts_with_valid_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = _pem_key()
    given = {
        "TASKLANE_DB_PASSWORD": "pw",
        "TASKLANE_MAIL_LINK_SECRET": "x" * 40,
        "TASKLANE_JWT_PRIVATE_KEY": key,
    }

    def interpolate(value: str) -> str:
        return re.sub(
            r"\$\{(\w+)(?::?[-?][^}]*)?\}", lambda m: given.get(m.group(1), ""), str(value)
        )

    for name, service in _compose()["services"].items():
        if "env_file" not in service:
            continue
        env: dict[str, str] = {}
        for path in service["env_file"]:
            for line in (ROOT / path).read_text().splitlines():
                if line.strip() and not line.startswith("#"):
                    k, v = line.split("=", 1)
                    env[k] = v
        env.update({k: interpolate(v) for k, v in service.get("environment", {}).items()})
        settings = _settings({k: v for k, v in env.items() if v != ""}, monkeypatch)
        assert settings.environment == "production", name
        assert settings.dialect == "mysql", name
        assert ("auth" in settings.services) == (name == "auth"), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_migration_job_can_be_applied_first_with_what_it_needs(overlay: str) -> None:
    """`kubectl apply -k <overlay> -l tasklane.io/migrate=true` (docs/operations.md) brings the
    Job, its ServiceAccount and every ConfigMap it reads, and no Deployment."""
    docs = _render(overlay)
    selected = [
        d for d in docs if d["metadata"].get("labels", {}).get("tasklane.io/migrate") == "true"
    ]
    names = {(d["kind"], d["metadata"]["name"]) for d in selected}
    (job,) = _find(docs, "Job")
    pod = job["spec"]["template"]["spec"]
    assert ("Job", job["metadata"]["name"]) in names
    assert ("ServiceAccount", pod["serviceAccountName"]) in names
    for source in pod["containers"][0]["envFrom"]:
        if "configMapRef" in source:
            assert ("ConfigMap", source["configMapRef"]["name"]) in names
    assert not {kind for kind, _ in names} & {"Deployment", "StatefulSet"}


def test_compose_nginx_configuration_is_accepted_by_nginx(tmp_path: Path) -> None:
    """`nginx -t` on deploy/compose/nginx.conf, with what this machine's older nginx lacks
    replaced (the service names become loopback, `resolve` and `http2 on` go; the compose
    image's nginx has both) and a throw-away certificate."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists() or not shutil.which("openssl"):
        _missing("nginx and openssl (make system-deps)")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(tmp_path / "tls.key"), "-out", str(tmp_path / "tls.crt")],
        check=True, capture_output=True,
    )  # fmt: skip
    conf = (ROOT / "deploy" / "compose" / "nginx.conf").read_text()
    conf = re.sub(r"server (auth|tasks|notifications):8000 resolve", r"server 127.0.0.1:8000", conf)
    conf = conf.replace("        http2 on;\n", "")
    conf = re.sub(r"(?<= )/tmp/", f"{tmp_path}/", conf)
    conf = conf.replace("/etc/nginx/tls/", f"{tmp_path}/")
    conf = conf.replace("/etc/nginx/mime.types", str(ROOT / "deploy" / "nginx" / "mime.types"))
    (tmp_path / "nginx.conf").write_text(conf)
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        check=False,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
