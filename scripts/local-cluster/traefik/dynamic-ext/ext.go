// Package ext stands in for the nested module of Traefik's tree that its go.mod replaces with a local
// path (so it is not in the module zip): two empty types its dynamic configuration embeds.
package ext

type HTTP struct{}

type Router struct{}
