{{/* Names and labels. */}}
{{- define "schools24.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "schools24.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "schools24.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "schools24.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: schools24
{{- end -}}

{{/* Selector labels for one component: include "schools24.selectorLabels" (list . "web") */}}
{{- define "schools24.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "schools24.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "schools24.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The Host header the probes send (see values web.probeHost). */}}
{{- define "schools24.probeHost" -}}
{{- if .Values.web.probeHost -}}
{{- .Values.web.probeHost -}}
{{- else -}}
{{- $host := "localhost" -}}
{{- range (splitList "," (toString (default "" .Values.config.ALLOWED_HOSTS))) -}}
{{- $h := . | trim | trimPrefix "." -}}
{{- if and (eq $host "localhost") $h (not (contains "*" $h)) -}}
{{- $host = $h -}}
{{- end -}}
{{- end -}}
{{- $host -}}
{{- end -}}
{{- end -}}

{{/* Secret references, one env entry per secretEnv item. */}}
{{- define "schools24.secretEnv" -}}
{{- range $name, $ref := .Values.secretEnv }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.existingSecret }}
      key: {{ default $name $ref.key }}
      optional: {{ default false $ref.optional }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Everything the app reads from the environment, for the Deployments (ConfigMap + Secret). */}}
{{- define "schools24.envFrom" -}}
envFrom:
  - configMapRef:
      name: {{ include "schools24.fullname" . }}
env:
  - name: POD_NAME
    valueFrom:
      fieldRef:
        fieldPath: metadata.name
  {{- include "schools24.secretEnv" . | trim | nindent 2 }}
{{- end -}}

{{/* Shared pod-level settings. */}}
{{- define "schools24.podSpec" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .Values.serviceAccountName }}
serviceAccountName: {{ .Values.serviceAccountName }}
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
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Writable scratch space under a read-only root filesystem. */}}
{{- define "schools24.volumes" -}}
volumes:
  - name: tmp
    emptyDir: {}
  - name: media
    emptyDir: {}
{{- end -}}

{{- define "schools24.volumeMounts" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  - name: media
    mountPath: /app/media
{{- end -}}

{{/* Roll pods when the configuration changes. */}}
{{- define "schools24.checksum" -}}
checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- end -}}

{{/* Settings the chart derives from other values (the bundled Redis services), as a dict. */}}
{{- define "schools24.derivedConfig" -}}
{{- $out := dict -}}
{{- $base := include "schools24.fullname" . -}}
{{- if .Values.redis.cache.enabled -}}
{{- $_ := set $out "REDIS_URL" (printf "redis://%s-redis-cache:6379/0" $base) -}}
{{- end -}}
{{- if .Values.redis.buffer.enabled -}}
{{- $url := printf "redis://%s-redis-buffer:6379/0" $base -}}
{{- $_ := set $out "BATCH_PROCESSOR_REDIS_URL" $url -}}
{{- $_ := set $out "CELERY_BROKER_URL" $url -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* Every environment variable the ConfigMap carries: chart-derived, then values.config. */}}
{{- define "schools24.configEnv" -}}
{{- $env := dict "HOME" "/tmp" "PORT" (toString .Values.web.port) -}}
{{- $_ := set $env "WEB_CONCURRENCY" (toString .Values.web.workers) -}}
{{- $_ := set $env "GUNICORN_THREADS" (toString .Values.web.threads) -}}
{{- $_ := set $env "GUNICORN_TIMEOUT" (toString .Values.web.timeout) -}}
{{- $env = merge (fromYaml (include "schools24.derivedConfig" .)) $env -}}
{{- range $key, $value := .Values.config -}}
{{- $_ := set $env $key (toString $value) -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{/*
PostgreSQL connections the release may hold at once: every HPA at its maximum plus one surge pod
per Deployment (maxSurge 1 during a rolling update), each gunicorn thread and each Celery child
holding one connection, plus beat and the migrate job.
*/}}
{{- define "schools24.pgConnections" -}}
{{- $v := .Values -}}
{{- $web := int $v.web.replicaCount -}}
{{- if $v.web.autoscaling.enabled }}{{ $web = int $v.web.autoscaling.maxReplicas }}{{ end -}}
{{- $worker := int $v.worker.replicaCount -}}
{{- if $v.worker.autoscaling.enabled }}{{ $worker = int $v.worker.autoscaling.maxReplicas }}{{ end -}}
{{- $total := mul (add1 $web) (int $v.web.workers) (int $v.web.threads) -}}
{{- $total = add $total (mul (add1 $worker) (int $v.worker.concurrency)) 1 -}}
{{- if $v.migrate.enabled }}{{ $total = add1 $total }}{{ end -}}
{{- $total -}}
{{- end -}}

{{/* Istio sidecar injection per pod (values mesh.enabled); the migrate job runs without one so
it can finish (a sidecar would keep the Job's pod alive). */}}
{{- define "schools24.meshPodLabels" -}}
{{- $root := index . 0 -}}
{{- if $root.Values.mesh.enabled -}}
sidecar.istio.io/inject: {{ ne (index . 1) "migrate" | quote }}
{{- end -}}
{{- end -}}

{{/* SPIFFE principal of a service account: include "schools24.principal" (list . ns sa) */}}
{{- define "schools24.principal" -}}
{{- $root := index . 0 -}}
{{- printf "%s/ns/%s/sa/%s" $root.Values.mesh.trustDomain (index . 1) (index . 2) -}}
{{- end -}}
