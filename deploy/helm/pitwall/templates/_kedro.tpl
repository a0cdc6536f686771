{{/* The pod of a Kedro job (roles bootstrap, CronJob run): the pipelines image, env, volumes */}}
{{- define "pitwall.kedroPod" -}}
metadata:
  labels:
    {{- include "pitwall.labels" .root | nindent 4 }}
    app.kubernetes.io/component: kedro
    pitwall.io/role: kedro
spec:
  restartPolicy: Never
  serviceAccountName: {{ include "pitwall.serviceAccount" .root }}
  automountServiceAccountToken: false
  {{- include "pitwall.podSecurity" .root | nindent 2 }}
  containers:
    - name: kedro
      image: {{ include "pitwall.image" (dict "root" .root "name" "pipelines") }}
      imagePullPolicy: {{ .root.Values.images.pullPolicy }}
      command:
        {{- toYaml .command | nindent 8 }}
      env:
        {{- include "pitwall.lakeEnv" .root | nindent 8 }}
        # never `local`: conf/production holds no file, settings come from here
        - name: PITWALL_KEDRO_ENV
          value: {{ .root.Values.kedro.env | quote }}
        - name: PITWALL_PG_LOADER_PASSWORD
          valueFrom:
            secretKeyRef: {name: {{ .root.Values.kedro.rolesSecret }}, key: PITWALL_PG_LOADER_PASSWORD}
        - name: PITWALL_PG_READER_PASSWORD
          valueFrom:
            secretKeyRef: {name: {{ .root.Values.kedro.rolesSecret }}, key: PITWALL_PG_READER_PASSWORD}
        - name: PITWALL_PG_LOADER_DSN
          value: {{ include "pitwall.dsn" (dict "root" .root "role" "pitwall_loader" "passwordVar" "PITWALL_PG_LOADER_PASSWORD") | quote }}
        {{- if .bootstrap }}
        - name: PITWALL_PG_DSN
          valueFrom:
            secretKeyRef: {name: {{ .root.Values.kedro.rolesSecret }}, key: PITWALL_PG_DSN}
        {{- end }}
        - name: PITWALL_CSV_LANDING
          value: {{ printf "%s/csv" (trimSuffix "/" .root.Values.objectStore.landingUri) | quote }}
        - name: PITWALL_SCRAPER_LANDING
          value: {{ printf "%s/scraper" (trimSuffix "/" .root.Values.objectStore.landingUri) | quote }}
        # the capture daemons' uploads (capture.yaml: --upload)
        - name: PITWALL_ASSETTO_LANDING
          value: {{ printf "%s/assetto" (trimSuffix "/" .root.Values.objectStore.landingUri) | quote }}
        - name: PITWALL_PARTNER_API_URL
          value: {{ .root.Values.kedro.sources.partnerApiUrl | quote }}
        - name: PITWALL_WEBSITE_URL
          value: {{ .root.Values.kedro.sources.websiteUrl | quote }}
      envFrom:
        - secretRef: {name: {{ .root.Values.kedro.sourcesSecret }}}
      {{- include "pitwall.containerSecurity" .root | nindent 6 }}
      resources:
        {{- toYaml .root.Values.kedro.resources | nindent 8 }}
      volumeMounts:
        - {name: tmp, mountPath: /tmp}
        - {name: db-ca, mountPath: /etc/pitwall/db-ca, readOnly: true}
  volumes:
    {{- include "pitwall.tmpVolume" .root | nindent 4 }}
    - name: db-ca
      configMap: {name: {{ .root.Values.postgres.caConfigMap }}}
{{- end -}}
