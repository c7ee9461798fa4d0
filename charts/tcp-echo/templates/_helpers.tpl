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

{{/* A name of the release with a suffix, `-v1` say: the release part is cut so that the whole stays a 63-character DNS label. */}}
{{- define "tcp-echo.suffixed" -}}
{{- $suffix := printf "-%s" .suffix }}
{{- printf "%s%s" (include "tcp-echo.fullname" .root | trunc (int (sub 63 (len $suffix))) | trimSuffix "-") $suffix }}
{{- end }}

{{/* A version's replicas: 0 stays 0 (`default` would make it 1). */}}
{{- define "tcp-echo.replicas" -}}
{{- if hasKey . "replicas" }}{{ int .replicas }}{{ else }}1{{ end }}
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
{{- /* What the schema cannot say and the API server would refuse. */}}
{{- if not (regexMatch "^[a-z]" (include "tcp-echo.fullname" .)) }}
{{- fail (printf "tcp-echo: the name %q must start with a letter (a Service name is a DNS-1035 label): choose another release name or set fullnameOverride" (include "tcp-echo.fullname" .)) }}
{{- end }}
{{- range $name := splitList "," $names }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $name) }}
{{- fail (printf "tcp-echo: version key %q must be a lowercase DNS label (it names objects and labels)" $name) }}
{{- end }}
{{- end }}
{{- $portNames := list }}
{{- $portNumbers := list }}
{{- range .Values.service.ports }}
{{- $portName := toString .name }}
{{- if or (not (regexMatch "^[a-z0-9]([a-z0-9]|-[a-z0-9]){0,14}$" $portName)) (contains "--" $portName) (not (regexMatch "[a-z]" $portName)) }}
{{- fail (printf "tcp-echo: port name %q must be an IANA service name: at most 15 lowercase letters, digits and single hyphens, with a letter" $portName) }}
{{- end }}
{{- if eq $portName "admin" }}
{{- fail "tcp-echo: port name \"admin\" is taken by the admin port" }}
{{- end }}
{{- if has $portName $portNames }}{{ fail (printf "tcp-echo: port name %q is listed twice" $portName) }}{{ end }}
{{- if has (int .port) $portNumbers }}{{ fail (printf "tcp-echo: port %d is listed twice" (int .port)) }}{{ end }}
{{- $portNames = append $portNames $portName }}
{{- $portNumbers = append $portNumbers (int .port) }}
{{- end }}
{{- if .Values.argoRollouts.rollout.enabled }}
{{- if ne .Values.routing.mode "istio" }}
{{- fail "tcp-echo: argoRollouts.rollout.enabled needs routing.mode istio (Argo's Istio traffic router shifts the VirtualService's weights between the DestinationRule's subsets)" }}
{{- end }}
{{- if ne (len (splitList "," $names)) 2 }}
{{- fail (printf "tcp-echo: argoRollouts.rollout.enabled needs exactly two versions, the stable and the canary subset (got %s)" $names) }}
{{- end }}
{{- end }}
{{- if and (eq (toString .Values.server.workers) "auto") (not (dig "limits" "cpu" "" .Values.resources)) }}
{{- fail "tcp-echo: server.workers auto needs resources.limits.cpu: without it, auto starts one ~50 MB process per node CPU under the memory limit" }}
{{- end }}
{{- end }}

{{/* The prober's --expect for the helm test: the weights at the gateway; at the Service, where kube-proxy spreads connections over pods, the replicas. */}}
{{- define "tcp-echo.expectWeights" -}}
{{- $weights := list }}
{{- range $name := splitList "," (include "tcp-echo.versionNames" .) }}
{{- $version := index $.Values.versions $name }}
{{- $share := ternary $version.weight (include "tcp-echo.replicas" $version) (eq $.Values.test.target "gateway") }}
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

{{/* The Secret holding prober serve's bearer token: the one given, the one the chart makes, or none (""). */}}
{{- define "tcp-echo.proberTokenSecret" -}}
{{- if .Values.proberService.tokenSecret -}}
{{- .Values.proberService.tokenSecret -}}
{{- else if .Values.proberService.generateToken -}}
{{- include "tcp-echo.suffixed" (dict "root" . "suffix" "prober-token") -}}
{{- end -}}
{{- end }}

{{/* What prober serve may probe, one --allow-target rule a line: the gateway, the Service, then the values' own. */}}
{{- define "tcp-echo.proberAllowTargets" -}}
{{- if ne .Values.routing.mode "none" }}
{{ .Values.test.gatewayHost }}:{{ .Values.routing.port }}
{{- end }}
{{- $service := include "tcp-echo.fullname" . }}
{{- range .Values.service.ports }}
{{ $service }}:{{ .port }}
{{ $service }}.{{ $.Release.Namespace }}.svc.cluster.local:{{ .port }}
{{- end }}
{{- with .Values.gatewayEndpoints.service }}
{{ first (splitList ":" .) }}.{{ include "tcp-echo.gatewayNamespace" $ }}:*
{{- end }}
{{- range .Values.proberService.allowTargets }}
{{ . }}
{{- end }}
{{- end }}

{{/* The prober's arguments that name every endpoint of the gateway's Service (gatewayEndpoints), one a line. */}}
{{- define "tcp-echo.eachEndpointArgs" -}}
--each-endpoint
service/{{ .Values.gatewayEndpoints.service }}
--endpoints-namespace
{{ include "tcp-echo.gatewayNamespace" . }}
{{- end }}

{{/* The gateway's namespace: gatewayEndpoints' or the NetworkPolicy's as given, else the second label of test.gatewayHost. */}}
{{- define "tcp-echo.gatewayNamespace" -}}
{{- .Values.gatewayEndpoints.namespace | default .Values.proberService.networkPolicy.gatewayNamespace | default (index (splitList "." .Values.test.gatewayHost) 1 | default .Release.Namespace) -}}
{{- end }}
