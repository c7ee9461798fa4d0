package main

import (
	"fmt"
	"strings"

	"istio.io/istio/pkg/config/analysis/analyzers"
	"istio.io/istio/pkg/config/analysis/local"
	"istio.io/istio/pkg/config/resource"
)

type analysisReport struct {
	Messages []analysisMessage `json:"messages"`
	// Analyzers that did not run for want of an input kind (istioctl prints them with --verbose).
	Skipped []string `json:"skipped"`
}

type analysisMessage struct {
	Code   string `json:"code"`
	Level  string `json:"level"`
	Origin string `json:"origin"`
	Text   string `json:"text"`
}

// analyze runs every analyzer of `istioctl analyze` on the manifests and the objects the cluster
// would derive from them (the Pods above all), read as Istio's own analyzer tests read their files.
func analyze(state *clusterState, namespace string) (*analysisReport, error) {
	derived, err := state.derivedYAML()
	if err != nil {
		return nil, err
	}
	sa := local.NewSourceAnalyzer(analyzers.AllCombined(), resource.Namespace(namespace), resource.Namespace(gatewayNamespace), nil)
	err = sa.AddTestReaderKubeSource([]local.ReaderSource{
		{Name: "manifests", Reader: strings.NewReader(state.manifests)},
		{Name: "derived", Reader: strings.NewReader(derived)},
	})
	if err != nil {
		return nil, err
	}
	if err := sa.AddDefaultResources(); err != nil {
		return nil, err
	}
	cancel := make(chan struct{})
	defer close(cancel)
	result, err := sa.Analyze(cancel)
	if err != nil {
		return nil, err
	}
	report := &analysisReport{Messages: []analysisMessage{}, Skipped: result.SkippedAnalyzers}
	if report.Skipped == nil {
		report.Skipped = []string{}
	}
	for _, m := range result.Messages {
		report.Messages = append(report.Messages, analysisMessage{
			Code:   m.Type.Code(),
			Level:  m.Type.Level().String(),
			Origin: strings.TrimSpace(m.Origin()),
			Text:   fmt.Sprintf(m.Type.Template(), m.Parameters...),
		})
	}
	return report, nil
}
