// Command istio-control-plane runs Istio's own control-plane code on rendered manifests: `gateway`
// prints, for each TCP listener istiod would give the ingress gateway, the tcp_proxy's weighted
// clusters and their endpoints; `analyze` prints what `istioctl analyze` would report. Both read the
// manifests (a YAML stream) on standard input and print JSON on standard output.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"istio.io/istio/pkg/log"
)

const usage = "usage: istio-control-plane gateway|analyze [--namespace NS] < manifests.yaml"

func main() {
	if len(os.Args) < 2 {
		fail(2, usage)
	}
	command := os.Args[1]
	flags := flag.NewFlagSet(command, flag.ContinueOnError)
	namespace := flags.String("namespace", "default", "the namespace of objects that name none")
	if err := flags.Parse(os.Args[2:]); err != nil {
		fail(2, usage)
	}
	quietLogs()
	state, err := readClusterState(os.Stdin, *namespace)
	if err != nil {
		fail(2, err.Error())
	}
	var out any
	switch command {
	case "gateway":
		out, err = translateGateway(state, *namespace)
	case "analyze":
		out, err = analyze(state, *namespace)
	default:
		fail(2, usage)
	}
	if err != nil {
		fail(1, err.Error())
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", "  ")
	if err := encoder.Encode(out); err != nil {
		fail(1, err.Error())
	}
}

// Istio logs to standard output, where the JSON goes, and its test harness logs errors about CRD
// versions it then ignores: logs are off, and what fails comes back as an error.
func quietLogs() {
	options := log.DefaultOptions()
	options.OutputPaths = []string{"stderr"}
	options.SetDefaultOutputLevel(log.DefaultScopeName, log.NoneLevel)
	_ = log.Configure(options)
	for _, scope := range log.Scopes() {
		scope.SetOutputLevel(log.NoneLevel)
	}
}

func fail(code int, message string) {
	fmt.Fprintln(os.Stderr, "istio-control-plane: "+message)
	os.Exit(code)
}
