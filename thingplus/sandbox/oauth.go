package sandbox

import "net/http"

// authArea owns OAuth2, the portal login, users/me and authClients.
// Placeholder until the auth area lands: it serves nothing yet.
type authArea struct{ s *Sandbox }

func newAuthArea(s *Sandbox) *authArea { return &authArea{s: s} }

func (a *authArea) routes(mux *http.ServeMux) {}
