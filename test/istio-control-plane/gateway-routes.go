package main

import (
	"fmt"
	"sort"
	"time"

	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tcpproxy "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"istio.io/istio/pkg/wellknown"

	"istio.io/istio/pilot/pkg/config/kube/crd"
	"istio.io/istio/pilot/pkg/model"
	v3 "istio.io/istio/pilot/pkg/xds/v3"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/schema/collections"
	"istio.io/istio/pkg/test"
)

// gatewayRoutes is what an Istio ingress gateway's Envoy would be told, for each TCP listener.
type gatewayRoutes struct {
	Listeners []tcpListener `json:"listeners"`
	// Istio's validation warnings on the configuration (it is refused outright on errors).
	Warnings []string `json:"warnings"`
}

type tcpListener struct {
	Name string `json:"name"`
	Port uint32 `json:"port"`
	// The tcp_proxy's destinations: its weighted clusters, or its one cluster at weight 100.
	Clusters []weightedCluster `json:"clusters"`
}

type weightedCluster struct {
	Name      string     `json:"name"`
	Weight    uint32     `json:"weight"`
	Endpoints []endpoint `json:"endpoints"`
}

type endpoint struct {
	Address string            `json:"address"`
	Port    uint32            `json:"port"`
	Pod     string            `json:"pod"`
	Labels  map[string]string `json:"labels"`
}

// istioConfigs parses the Istio objects of the manifests with Istio's own parser, which refuses what
// fails a schema's validation, and collects the validation warnings.
func istioConfigs(state *clusterState, namespace string) ([]config.Config, []string, error) {
	configs, _, err := crd.ParseInputs(state.manifests)
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	for i := range configs {
		c := &configs[i]
		if c.Namespace == "" {
			c.Namespace = namespace
		}
		// istiod's CRD client sets it; without it a short host such as `tcp-echo` does not resolve.
		c.Domain = "cluster.local"
		// ParseInputs has refused what fails validation but dropped the warnings: they are asked for again.
		schema, _ := collections.PilotGatewayAPI().FindByGroupVersionAliasesKind(c.GroupVersionKind)
		if warning, _ := schema.ValidateConfig(*c); warning != nil {
			warnings = append(warnings, fmt.Sprintf("%s %s/%s: %v", c.GroupVersionKind.Kind, c.Namespace, c.Name, warning))
		}
	}
	return configs, warnings, nil
}

// translateGateway runs istiod's discovery server on the cluster state and the Istio objects, connects
// to it over ADS as the ingress gateway's proxy would (CDS, then EDS, then LDS) and reads back what it
// was sent.
func translateGateway(state *clusterState, namespace string) (*gatewayRoutes, error) {
	configs, warnings, err := istioConfigs(state, namespace)
	if err != nil {
		return nil, err
	}
	result := &gatewayRoutes{Listeners: []tcpListener{}, Warnings: warnings}
	if result.Warnings == nil {
		result.Warnings = []string{}
	}
	pods := state.podsByIP()
	err = test.Wrap(func(t test.Failer) {
		server := xds.NewFakeDiscoveryServer(t, xds.FakeOptions{
			Configs:           configs,
			KubernetesObjects: state.kubernetesObjects(),
		})
		proxy := &model.Proxy{
			Type:            model.Router,
			ID:              "istio-ingressgateway-0." + gatewayNamespace,
			ConfigNamespace: gatewayNamespace,
			IPAddresses:     []string{gatewayIP},
			Labels:          gatewayLabels,
			Metadata:        &model.NodeMetadata{Labels: gatewayLabels, Namespace: gatewayNamespace},
		}
		ads := server.Connect(proxy, []string{v3.ClusterType}, nil)
		if _, err := ads.Wait(30*time.Second, v3.ClusterType, v3.EndpointType, v3.ListenerType); err != nil {
			t.Fatalf("the gateway's ADS stream: %v", err)
		}
		assignments := ads.GetEndpoints()
		for _, l := range ads.GetTCPListeners() {
			proxyConfig, err := tcpProxyOf(l)
			if err != nil {
				t.Fatal(err)
			}
			if proxyConfig == nil {
				continue
			}
			out := tcpListener{Name: l.Name, Port: l.Address.GetSocketAddress().GetPortValue(), Clusters: []weightedCluster{}}
			destinations := map[string]uint32{}
			if single := proxyConfig.GetCluster(); single != "" {
				destinations[single] = 100
			}
			for _, c := range proxyConfig.GetWeightedClusters().GetClusters() {
				destinations[c.Name] = c.Weight
			}
			for name, weight := range destinations {
				wc := weightedCluster{Name: name, Weight: weight, Endpoints: []endpoint{}}
				for _, locality := range assignments[name].GetEndpoints() {
					for _, lb := range locality.LbEndpoints {
						socket := lb.GetEndpoint().GetAddress().GetSocketAddress()
						e := endpoint{Address: socket.GetAddress(), Port: socket.GetPortValue()}
						if pod := pods[e.Address]; pod != nil {
							e.Pod, e.Labels = pod.Name, pod.Labels
						}
						wc.Endpoints = append(wc.Endpoints, e)
					}
				}
				out.Clusters = append(out.Clusters, wc)
			}
			sort.Slice(out.Clusters, func(i, j int) bool { return out.Clusters[i].Name < out.Clusters[j].Name })
			result.Listeners = append(result.Listeners, out)
		}
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(result.Listeners, func(i, j int) bool { return result.Listeners[i].Name < result.Listeners[j].Name })
	return result, nil
}

// tcpProxyOf finds the tcp_proxy filter that ends a listener's filter chain, if it has one.
func tcpProxyOf(l *listener.Listener) (*tcpproxy.TcpProxy, error) {
	for _, chain := range l.FilterChains {
		for _, filter := range chain.Filters {
			if filter.Name != wellknown.TCPProxy {
				continue
			}
			proxyConfig := &tcpproxy.TcpProxy{}
			if err := filter.GetTypedConfig().UnmarshalTo(proxyConfig); err != nil {
				return nil, fmt.Errorf("listener %s: its tcp_proxy: %w", l.Name, err)
			}
			return proxyConfig, nil
		}
	}
	return nil, nil
}
