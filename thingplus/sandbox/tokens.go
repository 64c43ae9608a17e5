package sandbox

// TokenFor issues a code-grant-lifetime token for a user, as if the app's
// client had completed the OAuth flow. For tests and local tools only: the
// sandbox never serves it over HTTP.
func (s *Sandbox) TokenFor(userID string) (string, error) {
	return s.issueToken(userID, s.opts.App.ID, codeGrantTTL)
}
