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

{{/* The signing key: from values, else the one already stored, else a new random one. */}}
{{- define "kasane.secretKey" -}}
{{- if .Values.secretKey -}}
{{- .Values.secretKey -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "kasane.appSecretName" .) | default dict -}}
{{- $stored := dig "data" "KASANE_SECRET_KEY" "" $existing -}}
{{- if $stored -}}
{{- $stored | b64dec -}}
{{- else -}}
{{- randAlphaNum 64 -}}
{{- end -}}
{{- end -}}
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
