package thingplus

import (
	"strings"

	"golang.org/x/oauth2"
)

// Endpoint is the OAuth2 endpoint of the Thing+ API at baseURL (…/v2).
// Thing+ expects client credentials in the body (oauth2orize), so the style
// is fixed to AuthStyleInParams rather than auto-detected.
func Endpoint(baseURL string) oauth2.Endpoint {
	b := strings.TrimRight(baseURL, "/")
	return oauth2.Endpoint{
		AuthURL:   b + "/oauth2/authorize",
		TokenURL:  b + "/oauth2/token",
		AuthStyle: oauth2.AuthStyleInParams,
	}
}
