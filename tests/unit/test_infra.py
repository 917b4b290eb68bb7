"""The Helm chart and the compose file wire what several processes need to share.

`helm` cannot be installed here, so the chart's templates are read as text: the named
templates of ``_helpers.tpl`` are expanded where they are included (enough to see which
variables each workload gets and from where), and ``values.yaml`` and ``compose.yaml`` are
parsed as YAML.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.conftest import REPO

CHART = REPO / "infra" / "helm" / "kasane"
KEYS = {"KASANE_SECRET_KEY", "KASANE_MASTER_KEY"}


def _defines() -> dict[str, str]:
    text = (CHART / "templates" / "_helpers.tpl").read_text()
    out: dict[str, str] = {}
    for match in re.finditer(r'\{\{- define "([^"]+)" -\}\}', text):
        rest = text[match.end() :]
        stop = min(
            (i for i in (rest.find("{{/*"), rest.find("{{- define")) if i >= 0),
            default=len(rest),
        )
        body = rest[:stop].rstrip()
        out[match.group(1)] = body.removesuffix("{{- end -}}")
    return out


SECRET_ENV = re.compile(
    r'\{\{-? include "kasane.secretEnv" \(dict "root" [.$] "key" "(\w+)"\) [^}]*\}\}'
)
INCLUDE = re.compile(r'\{\{-? include "([\w.]+)" [^}]*\}\}')


def rendered(name: str) -> str:
    """The template with the chart's own named templates expanded (recursively)."""
    defines = _defines()
    text = (CHART / "templates" / name).read_text()
    for _ in range(6):
        text = SECRET_ENV.sub(
            lambda m: (
                f"- name: {m.group(1)}\n  valueFrom:\n    secretKeyRef:\n"
                f"      name: APP_SECRET\n      key: {m.group(1)}"
            ),
            text,
        )
        text = INCLUDE.sub(
            lambda m: defines.get(m.group(1), m.group(0)) if m.group(1) in defines else "",
            text,
        )
    return text


def env_names(text: str) -> set[str]:
    return set(re.findall(r"- name: (KASANE_\w+)", text))


def secret_keys(text: str) -> set[str]:
    return set(re.findall(r"key: (KASANE_\w+)", text))


def test_the_app_pods_share_keys_redis_and_billing_secret_and_keep_nothing_on_disk() -> None:
    app = rendered("deployment.yaml")
    wanted = KEYS | {"KASANE_DATABASE_URL", "KASANE_REDIS_URL", "KASANE_STRIPE_WEBHOOK_SECRET"}
    assert wanted <= env_names(app) and wanted <= secret_keys(app)
    # the only volume is scratch space: no var/ on an emptyDir
    assert app.count("emptyDir") == 1 and "name: tmp" in app and "mountPath: /app/var" not in app
    assert "path: /readyz" in app and "path: /healthz" in app
    assert "KASANE_JOBS" in env_names(app)  # jobs run in the worker, not in every web pod
    assert "name: metrics" in app
    # a stopping pod finishes requests in flight, and waits longer than the server does
    assert '"--grace", {{ .Values.shutdownGraceSeconds | quote }}' in app
    assert "terminationGracePeriodSeconds: {{ add .Values.shutdownGraceSeconds 15 }}" in app


def test_the_migration_job_gets_the_same_keys_from_the_app_secret() -> None:
    job = rendered("job-migrate.yaml")
    container = job.split("{{- end -}}")[0]  # the migrate container's definition
    assert KEYS <= env_names(container) and KEYS <= secret_keys(container)
    assert "mountPath: /app/var" not in job


def test_the_app_secret_exists_before_the_migration_and_survives_upgrades() -> None:
    secret = rendered("secret.yaml")
    app_secret = secret.split("---")[0]
    assert {f"{k}:" for k in KEYS | {"KASANE_REDIS_URL"}} <= set(
        re.findall(r"^  (KASANE_\w+:)", app_secret, re.M)
    )
    assert "helm.sh/resource-policy: keep" in app_secret
    hook_weight = int(re.search(r'hook-weight: "(-?\d+)"', app_secret).group(1))  # type: ignore[union-attr]
    job = (CHART / "templates" / "job-migrate.yaml").read_text()
    job_weight = int(re.search(r'hook-weight: "(-?\d+)"', job).group(1))  # type: ignore[union-attr]
    assert "pre-install" in app_secret and hook_weight < job_weight
    # a key is read back from the stored Secret on upgrade, random only on first install
    kept = _defines()["kasane.keptKey"]
    assert 'lookup "v1" "Secret"' in kept and kept.index("lookup") < kept.index("randAlphaNum")
    raw = (CHART / "templates" / "secret.yaml").read_text().split("---")[0]
    for key in KEYS | {"KASANE_STRIPE_WEBHOOK_SECRET"}:
        assert f'include "kasane.keptKey" (dict "root" . "key" "{key}"' in raw


def test_the_central_site_reads_as_its_own_role_which_the_migration_lets_log_in() -> None:
    # the app pods (which serve central.<baseDomain>) get the central role's URL from the
    # app Secret, built for database.centralUser — not the app role's URL
    app = rendered("deployment.yaml")
    assert "KASANE_CENTRAL_DATABASE_URL" in env_names(app) & secret_keys(app)
    raw = (CHART / "templates" / "secret.yaml").read_text()
    app_secret, migrate_secret = raw.split("---")
    central_url = re.search(r"^  KASANE_CENTRAL_DATABASE_URL: (.*)$", app_secret, re.M)
    assert central_url and 'include "kasane.databaseUrl"' in central_url.group(1)
    assert '"user" .Values.database.centralUser' in central_url.group(1)
    assert '"password" .Values.database.centralPassword' in central_url.group(1)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["database"]["centralUser"] == "kasane_central"  # the migration's role
    # the worker does not read the central site's tables (its release job writes as the app)
    assert "KASANE_CENTRAL_DATABASE_URL" not in env_names(rendered("worker.yaml"))
    # and after each migration the job gives that role its password and the right to log in
    assert "KASANE_CENTRAL_DB_PASSWORD:" in migrate_secret
    assert "database.centralPassword is required" in migrate_secret
    job = rendered("job-migrate.yaml")
    assert {"KASANE_CENTRAL_DB_USER", "KASANE_CENTRAL_DB_PASSWORD"} <= env_names(job)
    assert "ALTER ROLE :\"crole\" WITH LOGIN PASSWORD :'cpw';" in job
    assert '-v crole="$KASANE_CENTRAL_DB_USER" -v cpw="$KASANE_CENTRAL_DB_PASSWORD"' in job


def test_redis_is_a_value_and_required_with_several_replicas() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert "url" in values["redis"] and "masterKey" in values
    assert values["replicaCount"] > 1
    helper = _defines()["kasane.redisUrl"]
    assert "fail" in helper and "replicaCount" in helper and ".Values.redis.url" in helper


def test_a_worker_deployment_runs_the_jobs_and_no_cronjob_duplicates_them() -> None:
    worker = rendered("worker.yaml")
    assert "kind: Deployment" in worker
    assert '["kasane", "jobs", "worker"]' in worker
    assert KEYS | {"KASANE_DATABASE_URL"} <= env_names(worker) & secret_keys(worker)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["worker"]["enabled"] is True
    for template in (CHART / "templates").glob("*.yaml"):
        assert "kind: CronJob" not in template.read_text(), template.name


def test_compose_gives_app_worker_and_migration_the_same_keys_and_redis() -> None:
    compose = yaml.safe_load((REPO / "infra" / "compose.yaml").read_text())
    services = compose["services"]
    for key in KEYS:
        values = {services[s]["environment"][key] for s in ("migrate", "app", "worker")}
        assert len(values) == 1 and "${" + key + ":?" in values.pop()
    assert (
        services["app"]["environment"]["KASANE_REDIS_URL"]
        == (services["worker"]["environment"]["KASANE_REDIS_URL"])
    )
    assert services["worker"]["command"] == ["kasane", "jobs", "worker"]
    assert services["app"]["environment"]["KASANE_JOBS"] == "worker"
    for name, service in services.items():
        for volume in service.get("volumes", []):
            assert "/app/var" not in volume, name
    assert "/readyz" in " ".join(services["app"]["healthcheck"]["test"])


def test_every_template_names_only_values_that_exist() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    used = set()
    for template in (CHART / "templates").glob("*"):
        used |= set(re.findall(r"\.Values\.([\w.]+)", template.read_text()))
    for path in used:
        node = values
        for part in path.split("."):
            assert isinstance(node, dict) and part in node, f".Values.{path} is not in values"
            node = node[part]


def test_the_chart_files_are_where_the_test_reads_them() -> None:
    assert Path(CHART / "Chart.yaml").exists()
