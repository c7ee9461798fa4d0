{{/* Chart name, overridable. */}}
{{- define "tcp-echo.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified name: the release name when it already contains the chart name (so `helm install tcp-echo` gives the tutorial's names). */}}
{{- define "tcp-echo.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tcp-echo.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Standard labels on every object. */}}
{{- define "tcp-echo.labels" -}}
helm.sh/chart: {{ include "tcp-echo.chart" . }}
app.kubernetes.io/name: {{ include "tcp-echo.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* What the Service selects: every version. `app` is the label Istio's samples and subsets use. */}}
{{- define "tcp-echo.selectorLabels" -}}
app: {{ include "tcp-echo.name" . }}
app.kubernetes.io/name: {{ include "tcp-echo.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The server's port argument: every Service port, comma-separated. */}}
{{- define "tcp-echo.serverPorts" -}}
{{- $ports := list }}
{{- range .Values.service.ports }}{{ $ports = append $ports (toString .port) }}{{ end }}
{{- join "," $ports }}
{{- end }}

{{/* The versions that exist (entries set to null are removed). */}}
{{- define "tcp-echo.versionNames" -}}
{{- $names := list }}
{{- range $name, $version := .Values.versions }}{{ if $version }}{{ $names = append $names $name }}{{ end }}{{ end }}
{{- join "," $names }}
{{- end }}

{{/* Fails the render with a clear message when the versions cannot make a valid split. */}}
{{- define "tcp-echo.validate" -}}
{{- $names := include "tcp-echo.versionNames" . }}
{{- if not $names }}
{{- fail "tcp-echo: no versions: set at least one entry under .Values.versions" }}
{{- end }}
{{- $total := 0 }}
{{- range $name := splitList "," $names }}
{{- $weight := int (index $.Values.versions $name).weight }}
{{- if lt $weight 0 }}
{{- fail (printf "tcp-echo: versions.%s.weight is %d; weights must be >= 0" $name $weight) }}
{{- end }}
{{- $total = add $total $weight }}
{{- end }}
{{- if and (ne .Values.routing.mode "none") (ne (int $total) 100) }}
{{- fail (printf "tcp-echo: the versions' weights sum to %d; they must sum to 100" (int $total)) }}
{{- end }}
{{- end }}

{{/* The prober's --expect for the helm test: the weights at the gateway; at the Service, where kube-proxy spreads connections over pods, the replicas. */}}
{{- define "tcp-echo.expectWeights" -}}
{{- $weights := list }}
{{- range $name := splitList "," (include "tcp-echo.versionNames" .) }}
{{- $version := index $.Values.versions $name }}
{{- $share := ternary $version.weight (default 1 $version.replicas) (eq $.Values.test.target "gateway") }}
{{- $weights = append $weights (toString (int $share)) }}
{{- end }}
{{- join ":" $weights }}
{{- end }}

{{/* The prober's --labels: each version's prefix, in the order of expectWeights. */}}
{{- define "tcp-echo.expectLabels" -}}
{{- $labels := list }}
{{- range $name := splitList "," (include "tcp-echo.versionNames" .) }}
{{- $labels = append $labels (index $.Values.versions $name).prefix }}
{{- end }}
{{- join "," $labels }}
{{- end }}
