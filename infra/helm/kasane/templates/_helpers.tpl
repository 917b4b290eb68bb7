{{/* Names */}}
{{- define "kasane.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kasane.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kasane.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kasane.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The app's pods only: the Service must never select the migration job's pod. */}}
{{- define "kasane.webSelectorLabels" -}}
{{ include "kasane.selectorLabels" . }}
app.kubernetes.io/component: web
{{- end -}}

{{- define "kasane.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "kasane.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "kasane.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "kasane.baseDomain" -}}
{{- required "baseDomain is required (tenants are served at <slug>.<baseDomain>)" .Values.baseDomain -}}
{{- end -}}

{{/* Secrets */}}
{{- define "kasane.appSecretName" -}}
{{- .Values.existingSecret.app | default (printf "%s-app" (include "kasane.fullname" .)) -}}
{{- end -}}

{{- define "kasane.migrateSecretName" -}}
{{- .Values.existingSecret.migrate | default (printf "%s-migrate" (include "kasane.fullname" .)) -}}
{{- end -}}

{{/* postgresql://user:password@host:port/name, user and password percent-encoded. */}}
{{- define "kasane.databaseUrl" -}}
{{- $db := .root.Values.database -}}
{{- $password := required (printf "database.%s is required" .passwordKey) .password | urlquery | replace "+" "%20" -}}
{{- printf "postgresql://%s:%s@%s:%v/%s" (.user | urlquery) $password (required "database.host is required" $db.host) $db.port $db.name -}}
{{- end -}}

{{/* A key of the app Secret: from values, else the one already stored in the release's
Secret (so an upgrade never changes it), else a new random one (first install).
Call with (dict "root" . "key" "KASANE_SECRET_KEY" "value" .Values.secretKey). */}}
{{- define "kasane.keptKey" -}}
{{- if .value -}}
{{- .value -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace (include "kasane.appSecretName" .root) | default dict -}}
{{- $stored := dig "data" .key "" $existing -}}
{{- if $stored -}}
{{- $stored | b64dec -}}
{{- else -}}
{{- randAlphaNum 64 -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* One secret variable taken from the app Secret. */}}
{{- define "kasane.secretEnv" -}}
- name: {{ .key }}
  valueFrom:
    secretKeyRef:
      name: {{ include "kasane.appSecretName" .root }}
      key: {{ .key }}
{{- end -}}

{{/* What the app, the worker and the migration job all need from the app Secret: the
signing key and the master key (the migration seals data: 0015), both the same in every
pod — else what one pod sealed another could not open. */}}
{{- define "kasane.keysEnv" -}}
{{ include "kasane.secretEnv" (dict "root" . "key" "KASANE_SECRET_KEY") }}
{{ include "kasane.secretEnv" (dict "root" . "key" "KASANE_MASTER_KEY") }}
{{- end -}}

{{/* The app's and the worker's settings from the app Secret: database, keys, Redis, billing. */}}
{{- define "kasane.appEnv" -}}
{{ include "kasane.secretEnv" (dict "root" . "key" "KASANE_DATABASE_URL") }}
{{ include "kasane.keysEnv" . }}
{{ include "kasane.secretEnv" (dict "root" . "key" "KASANE_REDIS_URL") }}
{{ include "kasane.secretEnv" (dict "root" . "key" "KASANE_STRIPE_WEBHOOK_SECRET") }}
- name: KASANE_BILLING
  value: {{ .Values.billing.mode | quote }}
- name: KASANE_MAIL_FROM
  value: {{ .Values.mail.from | quote }}
{{- if .Values.mail.smtpUrl }}
{{ include "kasane.secretEnv" (dict "root" . "key" "KASANE_SMTP_URL") }}
{{- end }}
- name: KASANE_METRICS_PORT
  value: {{ .Values.metrics.port | quote }}
{{- if eq .Values.billing.mode "stripe" }}
{{ include "kasane.secretEnv" (dict "root" . "key" "KASANE_STRIPE_SECRET_KEY") }}
{{- end }}
{{- end -}}

{{/* The central site (central.<baseDomain>, served by the app pods) reads as its own role,
kasane_central: the released tables and the ledger, no tenant table. Outside the demo the
app refuses to serve it through the app role. The worker's release job writes as the app. */}}
{{- define "kasane.centralEnv" -}}
{{ include "kasane.secretEnv" (dict "root" . "key" "KASANE_CENTRAL_DATABASE_URL") }}
{{- end -}}

{{/* Several app pods share pending logins and the login limiter only through Redis. */}}
{{- define "kasane.redisUrl" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.redis.url) -}}
{{- fail "redis.url is required when replicaCount > 1: pending TOTP/SSO logins and the login limiter must be shared by every pod" -}}
{{- end -}}
{{- .Values.redis.url -}}
{{- end -}}

{{/* Environment shared by the app and the migration job (nothing secret). */}}
{{- define "kasane.commonEnv" -}}
- name: KASANE_BASE_DOMAIN
  value: {{ include "kasane.baseDomain" . | quote }}
- name: KASANE_VAR_DIR
  value: /app/var
{{- range $name, $value := .Values.extraEnv }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by the app and the migration job. */}}
{{- define "kasane.podSpecCommon" -}}
automountServiceAccountToken: false
# A Service named "kasane" would otherwise inject KASANE_PORT, KASANE_SERVICE_HOST, ...
# into the environment, colliding with the KASANE_* settings.
enableServiceLinks: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
