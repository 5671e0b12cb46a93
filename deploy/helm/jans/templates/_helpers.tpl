{{/*
Names, labels and the pieces every workload shares. Only functions Helm itself has are
used (Go templates, sprig, include/tpl/required/toYaml/fromYaml).
*/}}

{{/* The components in the order `jans serve --components` lists them. */}}
{{- define "jans.componentNames" -}}
auth fido2 scim config-api casa saml
{{- end }}

{{- define "jans.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's resource name prefix (at most 50 characters: room for "-config-api"). */}}
{{- define "jans.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "jans.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "jans.selectorLabels" -}}
app.kubernetes.io/name: {{ include "jans.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Labels of every resource; call with (dict "root" $ "component" NAME). */}}
{{- define "jans.labels" -}}
helm.sh/chart: {{ include "jans.chart" .root }}
{{ include "jans.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: jans
{{- end }}

{{- define "jans.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "jans.postgres" -}}
{{- if eq .Values.persistence.type "postgres" }}true{{ end }}
{{- end }}

{{/* Whether the chart creates the Secret (some secret value was given inline). */}}
{{- define "jans.ownSecret" -}}
{{- if and (include "jans.postgres" .) (not .Values.database.existingSecret) }}true{{ end }}
{{- if and (not .Values.masterKey.existingSecret) .Values.masterKey.value }}true{{ end }}
{{- end }}

{{- define "jans.databaseSecretName" -}}
{{- default (printf "%s-secrets" (include "jans.fullname" .)) .Values.database.existingSecret }}
{{- end }}

{{- define "jans.databaseSecretKey" -}}
{{- if .Values.database.existingSecret }}{{ default "url" .Values.database.existingSecretKey }}{{ else }}url{{ end }}
{{- end }}

{{- define "jans.masterKeySecretName" -}}
{{- default (printf "%s-secrets" (include "jans.fullname" .)) .Values.masterKey.existingSecret }}
{{- end }}

{{- define "jans.masterKeySecretKey" -}}
{{- if .Values.masterKey.existingSecret }}{{ default "masterKey" .Values.masterKey.existingSecretKey }}{{ else }}masterKey{{ end }}
{{- end }}

{{/* The enabled components, comma-separated, in canonical order. */}}
{{- define "jans.enabledComponents" -}}
{{- $enabled := list }}
{{- range splitList " " (include "jans.componentNames" .) }}
{{- if (index $.Values.components .).enabled }}
{{- $enabled = append $enabled . }}
{{- end }}
{{- end }}
{{- join "," $enabled }}
{{- end }}

{{/*
Refuse values that cannot work, with a message saying what to change. Every template
includes it (through jans.workloads or directly), so the first one rendered fails.
*/}}
{{- define "jans.validate" -}}
{{- $issuer := required "issuer is required: the public URL clients use, e.g. --set issuer=https://id.example.com" .Values.issuer }}
{{- if not (regexMatch "^(https://[^/?#]+|http://(localhost|127[.]0[.]0[.]1|\\[::1\\])(:[0-9]+)?)(/[^?#]*)?$" $issuer) }}
{{- fail (printf "issuer %q: jans requires an https URL (http only for localhost) without query or fragment" $issuer) }}
{{- end }}
{{- if not (has .Values.mode (list "all-in-one" "microservices")) }}
{{- fail (printf "mode %q: use all-in-one or microservices" .Values.mode) }}
{{- end }}
{{- $known := splitList " " (include "jans.componentNames" .) }}
{{- range $name, $_ := .Values.components }}
{{- if not (has $name $known) }}
{{- fail (printf "components.%s: unknown component (known: %s)" $name (join ", " $known)) }}
{{- end }}
{{- end }}
{{- if not (include "jans.enabledComponents" .) }}
{{- fail "enable at least one component (components.NAME.enabled)" }}
{{- end }}
{{- if eq .Values.persistence.type "postgres" }}
{{- if not (or .Values.database.existingSecret .Values.database.url) }}
{{- fail "the PostgreSQL URL is required: database.existingSecret (a Secret with the URL under database.existingSecretKey) or database.url" }}
{{- end }}
{{- if not (or .Values.masterKey.existingSecret .Values.masterKey.value) }}
{{- fail "the master key is required with postgres, identical on every pod: masterKey.existingSecret or masterKey.value (head -c 32 /dev/urandom | basenc --base64url | tr -d =)" }}
{{- end }}
{{- else if eq .Values.persistence.type "sled" }}
{{- if ne .Values.mode "all-in-one" }}
{{- fail "persistence.type sled admits one process: use mode all-in-one, or postgres for microservices" }}
{{- end }}
{{- if or (ne (int .Values.allInOne.replicas) 1) .Values.allInOne.autoscaling.enabled }}
{{- fail "persistence.type sled admits one process: allInOne.replicas must be 1 and allInOne.autoscaling.enabled false" }}
{{- end }}
{{- else }}
{{- fail (printf "persistence.type %q: use postgres or sled" .Values.persistence.type) }}
{{- end }}
{{- if and .Values.masterKey.value (not (regexMatch "^[A-Za-z0-9_-]{43}$" .Values.masterKey.value)) }}
{{- fail "masterKey.value must be base64url without padding of 32 bytes (43 characters)" }}
{{- end }}
{{- $pdb := .Values.podDisruptionBudget }}
{{- if and $pdb.enabled (eq (hasKey $pdb "minAvailable") (hasKey $pdb "maxUnavailable")) }}
{{- fail "podDisruptionBudget: give exactly one of minAvailable and maxUnavailable" }}
{{- end }}
{{- end }}

{{/*
The Deployments to render, as YAML ({workloads: [...]}): one serving every enabled
component in all-in-one mode, one per enabled component in microservices mode.
*/}}
{{- define "jans.workloads" -}}
{{- include "jans.validate" . }}
{{- $fullname := include "jans.fullname" . }}
workloads:
{{- if eq .Values.mode "microservices" }}
{{- range splitList " " (include "jans.componentNames" .) }}
{{- $c := index $.Values.components . }}
{{- if $c.enabled }}
  - name: {{ printf "%s-%s" $fullname . }}
    component: {{ . }}
    components: {{ . }}
    settings:
      {{- toYaml $c | nindent 6 }}
{{- end }}
{{- end }}
{{- else }}
  - name: {{ $fullname }}
    component: all-in-one
    components: {{ include "jans.enabledComponents" . }}
    settings:
      {{- toYaml .Values.allInOne | nindent 6 }}
{{- end }}
{{- end }}

{{/* The environment of every jans container. */}}
{{- define "jans.env" -}}
- name: JANS_ISSUER
  value: {{ .Values.issuer | quote }}
- name: JANS_DATA_DIR
  value: /var/lib/jans
- name: JANS_PERSISTENCE_TYPE
  value: {{ .Values.persistence.type | quote }}
{{- if include "jans.postgres" . }}
- name: JANS_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "jans.databaseSecretName" . }}
      key: {{ include "jans.databaseSecretKey" . }}
{{- end }}
{{- if or .Values.masterKey.existingSecret .Values.masterKey.value }}
- name: JANS_MASTER_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "jans.masterKeySecretName" . }}
      key: {{ include "jans.masterKeySecretKey" . }}
{{- end }}
{{- if and (include "jans.postgres" .) .Values.database.caSecret }}
- name: JANS_DATABASE_CA_FILE
  value: /etc/jans/database-ca/ca.pem
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The hardened container settings. */}}
{{- define "jans.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
{{- end }}

{{/* Pod-level settings shared by the Deployments and the migrate Job. */}}
{{- define "jans.podCommon" -}}
automountServiceAccountToken: false
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  runAsNonRoot: true
  runAsUser: {{ .Values.securityContext.runAsUser }}
  runAsGroup: {{ .Values.securityContext.runAsGroup }}
  fsGroup: {{ .Values.securityContext.runAsGroup }}
  seccompProfile:
    type: RuntimeDefault
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
