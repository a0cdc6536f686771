{{/* Names and labels */}}
{{- define "pitwall.name" -}}
{{- default "pitwall" .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "pitwall.labels" -}}
app.kubernetes.io/name: {{ include "pitwall.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "pitwall.selector" -}}
app.kubernetes.io/name: {{ include "pitwall.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "pitwall.serviceAccount" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "pitwall.name" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* An image by digest only: "<registry>/<repository>@sha256:..." (no tag can move under us) */}}
{{- define "pitwall.image" -}}
{{- $image := index .root.Values.images .name -}}
{{- $digest := required (printf "images.%s.digest is required: the digest CI built and signed" .name) $image.digest -}}
{{- if not (regexMatch "^sha256:[a-f0-9]{64}$" $digest) -}}
{{- fail (printf "images.%s.digest must be sha256:<64 hex>" .name) -}}
{{- end -}}
{{- printf "%s/%s@%s" .root.Values.images.registry $image.repository $digest -}}
{{- end -}}

{{/* Pod Security `restricted`: the pod and every container */}}
{{- define "pitwall.podSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  fsGroup: 10001
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{- define "pitwall.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  runAsNonRoot: true
  capabilities:
    drop: [ALL]
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/* The lake on the object store: settings from values, keys from the existing Secret */}}
{{- define "pitwall.lakeEnv" -}}
- name: PITWALL_LAKE_URI
  value: {{ .Values.objectStore.lakeUri | quote }}
- name: AWS_REGION
  value: {{ .Values.objectStore.region | quote }}
{{- with .Values.objectStore.endpointUrl }}
- name: AWS_ENDPOINT_URL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.objectStore.conditionalPut }}
- name: AWS_CONDITIONAL_PUT
  value: {{ . | quote }}
{{- end }}
{{- with .Values.objectStore.existingSecret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef: {name: {{ . }}, key: AWS_ACCESS_KEY_ID}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef: {name: {{ . }}, key: AWS_SECRET_ACCESS_KEY}
{{- end }}
{{- end -}}

{{/* A libpq DSN for a role, with TLS verified against the deployment CA */}}
{{- define "pitwall.dsn" -}}
{{- printf "postgresql://%s:$(%s)@%s:%d/%s?sslmode=%s&sslrootcert=/etc/pitwall/db-ca/ca.crt" .role .passwordVar .root.Values.postgres.host (int .root.Values.postgres.port) .root.Values.postgres.database .root.Values.postgres.sslMode -}}
{{- end -}}

{{- define "pitwall.tmpVolume" -}}
- name: tmp
  emptyDir: {sizeLimit: 256Mi}
{{- end -}}
