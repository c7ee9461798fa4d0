// Package auth stands in for Traefik's fork of go-http-auth, whose module the Go proxy refuses here. The
// local cluster uses no basic or digest auth middleware; should one be configured, it refuses every
// request (401) rather than let one through.
package auth

import "net/http"

type SecretProvider func(user, realm string) string

type BasicAuth struct {
	Realm   string
	Secrets SecretProvider
}

func (a *BasicAuth) RequireAuth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("WWW-Authenticate", `Basic realm="`+a.Realm+`"`)
	http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
}

// CheckSecret never accepts a password.
func CheckSecret(_, _ string) bool { return false }

type DigestAuth struct{ Realm string }

func NewDigestAuthenticator(realm string, _ SecretProvider) *DigestAuth {
	return &DigestAuth{Realm: realm}
}

// CheckAuth never authenticates anyone.
func (a *DigestAuth) CheckAuth(_ *http.Request) (string, *string) { return "", nil }

func (a *DigestAuth) RequireAuth(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
}

func (a *DigestAuth) RequireAuthStale(w http.ResponseWriter, r *http.Request) { a.RequireAuth(w, r) }

func DigestAuthParams(_ string) map[string]string { return map[string]string{} }
