package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	kubeyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"istio.io/istio/pkg/kube"
)

// Where the stand-in ingress gateway lives, as Istio's default install puts it.
const (
	gatewayNamespace = "istio-system"
	gatewayIP        = "10.244.0.250"
)

var gatewayLabels = map[string]string{"istio": "ingressgateway", "app": "istio-ingressgateway"}

// clusterState is what a cluster would hold after `kubectl apply` of the rendered manifests: the
// Services with a cluster IP, and for each Deployment its replicas as ready Pods listed in the
// EndpointSlices of the Services that select them. Kubernetes' controllers would make these; here
// they are derived, so Istio's code sees what it would read from a real API server.
type clusterState struct {
	// The input documents, unchanged, for Istio's own parser.
	manifests string
	services  []*corev1.Service
	pods      []*corev1.Pod
	// The pods made here (not in the input), which the analyzer gets beside the manifests.
	derivedPods []*corev1.Pod
	slices      []*discoveryv1.EndpointSlice
}

type typeHeader struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// readClusterState reads rendered manifests (a YAML stream, as `helm template` prints) and derives
// the objects Kubernetes would create from them in namespace, where a document names none. Pods in the
// stream (read from a live cluster) are used as they are; the EndpointSlices list every ready pod.
func readClusterState(in io.Reader, namespace string) (*clusterState, error) {
	raw, err := io.ReadAll(in)
	if err != nil {
		return nil, fmt.Errorf("reading the manifests: %w", err)
	}
	state := &clusterState{manifests: string(raw)}
	var deployments []*appsv1.Deployment
	reader := kubeyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	decode := kube.IstioCodec.UniversalDeserializer().Decode
	for index := 1; ; index++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", index, err)
		}
		var header typeHeader
		if err := yaml.Unmarshal(doc, &header); err != nil {
			return nil, fmt.Errorf("document %d is not YAML: %w", index, err)
		}
		key := header.APIVersion + "/" + header.Kind
		if key != "v1/Service" && key != "apps/v1/Deployment" && key != "v1/Pod" {
			continue
		}
		obj, _, err := decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("document %d (%s): %w", index, header.Kind, err)
		}
		switch typed := obj.(type) {
		case *corev1.Service:
			setNamespace(&typed.ObjectMeta, namespace)
			state.services = append(state.services, typed)
		case *appsv1.Deployment:
			setNamespace(&typed.ObjectMeta, namespace)
			deployments = append(deployments, typed)
		case *corev1.Pod:
			// A pod read from a cluster (kubectl get -o yaml) is taken as it is.
			setNamespace(&typed.ObjectMeta, namespace)
			state.pods = append(state.pods, typed)
		}
	}
	for i, service := range state.services {
		if service.Spec.ClusterIP == "" {
			service.Spec.ClusterIP = fmt.Sprintf("10.96.0.%d", 10+i)
		}
	}
	next := 10
	for _, deployment := range deployments {
		replicas := int32(1)
		if deployment.Spec.Replicas != nil {
			replicas = *deployment.Spec.Replicas
		}
		for r := int32(0); r < replicas; r++ {
			state.derivedPods = append(state.derivedPods, readyPod(deployment, int(r), fmt.Sprintf("10.244.0.%d", next)))
			next++
		}
	}
	state.derivedPods = append(state.derivedPods, ingressGatewayPod())
	state.pods = append(state.pods, state.derivedPods...)
	state.services = append(state.services, ingressGatewayService())
	for _, service := range state.services {
		state.slices = append(state.slices, endpointSlice(service, state.pods))
	}
	return state, nil
}

func setNamespace(meta *metav1.ObjectMeta, namespace string) {
	if meta.Namespace == "" {
		meta.Namespace = namespace
	}
}

func readyPod(deployment *appsv1.Deployment, replica int, ip string) *corev1.Pod {
	template := deployment.Spec.Template
	meta := *template.ObjectMeta.DeepCopy()
	meta.Name = fmt.Sprintf("%s-%d", deployment.Name, replica)
	meta.Namespace = deployment.Namespace
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: meta,
		Spec:       *template.Spec.DeepCopy(),
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			PodIP:      ip,
			PodIPs:     []corev1.PodIP{{IP: ip}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		},
	}
}

// The ingress gateway's own objects, as Istio's install creates them: a stand-in, so that the
// analyzer finds the pods the chart's Gateway selects and the Service that exposes its port.
func ingressGatewayPod() *corev1.Pod {
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "istio-ingressgateway-0", Namespace: gatewayNamespace, Labels: gatewayLabels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "istio-proxy", Image: "istio/proxyv2",
			Ports: []corev1.ContainerPort{{Name: "tcp", ContainerPort: 31400, Protocol: corev1.ProtocolTCP}},
		}}},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: gatewayIP, PodIPs: []corev1.PodIP{{IP: gatewayIP}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		},
	}
}

func ingressGatewayService() *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: "istio-ingressgateway", Namespace: gatewayNamespace, Labels: gatewayLabels},
		Spec: corev1.ServiceSpec{
			Type:      corev1.ServiceTypeLoadBalancer,
			ClusterIP: "10.96.1.1",
			Selector:  gatewayLabels,
			Ports: []corev1.ServicePort{{
				Name: "tcp", Port: 31400, TargetPort: intstr.FromInt32(31400), Protocol: corev1.ProtocolTCP,
			}},
		},
	}
}

func endpointSlice(service *corev1.Service, pods []*corev1.Pod) *discoveryv1.EndpointSlice {
	ready := true
	slice := &discoveryv1.EndpointSlice{
		TypeMeta: metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      service.Name + "-slice",
			Namespace: service.Namespace,
			Labels:    map[string]string{discoveryv1.LabelServiceName: service.Name},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for _, port := range service.Spec.Ports {
		name, number, protocol := port.Name, targetPortNumber(port, pods), port.Protocol
		slice.Ports = append(slice.Ports, discoveryv1.EndpointPort{Name: &name, Port: &number, Protocol: &protocol, AppProtocol: port.AppProtocol})
	}
	if len(service.Spec.Selector) == 0 {
		return slice
	}
	selector := labels.SelectorFromSet(service.Spec.Selector)
	for _, pod := range pods {
		if pod.Namespace != service.Namespace || !selector.Matches(labels.Set(pod.Labels)) || !isReady(pod) {
			continue
		}
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{pod.Status.PodIP},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: pod.Name, Namespace: pod.Namespace},
		})
	}
	return slice
}

func isReady(pod *corev1.Pod) bool {
	if pod.Status.PodIP == "" || pod.DeletionTimestamp != nil {
		return false
	}
	for _, condition := range pod.Status.Conditions {
		if condition.Type == corev1.PodReady {
			return condition.Status == corev1.ConditionTrue
		}
	}
	return false
}

// A named targetPort resolves to the container port of that name (the first pod that has it).
func targetPortNumber(port corev1.ServicePort, pods []*corev1.Pod) int32 {
	switch {
	case port.TargetPort.Type == intstr.Int && port.TargetPort.IntVal != 0:
		return port.TargetPort.IntVal
	case port.TargetPort.Type == intstr.String && port.TargetPort.StrVal != "":
		for _, pod := range pods {
			for _, container := range pod.Spec.Containers {
				for _, cp := range container.Ports {
					if cp.Name == port.TargetPort.StrVal {
						return cp.ContainerPort
					}
				}
			}
		}
	}
	return port.Port
}

// kubernetesObjects is the state as the objects a fake API server serves.
func (s *clusterState) kubernetesObjects() []runtime.Object {
	var objects []runtime.Object
	for _, o := range s.services {
		objects = append(objects, o)
	}
	for _, o := range s.pods {
		objects = append(objects, o)
	}
	for _, o := range s.slices {
		objects = append(objects, o)
	}
	return objects
}

// derivedYAML is the objects the manifests do not hold (cluster IPs aside), as a YAML stream.
func (s *clusterState) derivedYAML() (string, error) {
	var docs []string
	add := func(o any) error {
		out, err := yaml.Marshal(o)
		if err != nil {
			return err
		}
		docs = append(docs, string(out))
		return nil
	}
	for _, o := range s.derivedPods {
		if err := add(o); err != nil {
			return "", err
		}
	}
	if err := add(ingressGatewayService()); err != nil {
		return "", err
	}
	return strings.Join(docs, "---\n"), nil
}

// podsByIP names the pod behind each endpoint address.
func (s *clusterState) podsByIP() map[string]*corev1.Pod {
	byIP := map[string]*corev1.Pod{}
	for _, pod := range s.pods {
		byIP[pod.Status.PodIP] = pod
	}
	return byIP
}
