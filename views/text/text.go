// Package text keeps every user-facing string in one place, so a Korean
// catalogue can follow the English one. Each feature owns one file with one
// map; T looks a key up in all of them.
package text

// catalogs lists the English maps of every feature, in lookup order.
var catalogs = []map[string]string{core, gateways, rules, trains, bounds, ops, rulesTools, since, screens, trainsOps, homeTexts, shellTexts, trainsAccess, rulesList}

// T returns the English text for key, or the key itself when it is missing
// (a test checks that every key used by the views exists).
func T(key string) string {
	for _, c := range catalogs {
		if s, ok := c[key]; ok {
			return s
		}
	}
	return key
}

// Has reports whether key exists in any catalogue.
func Has(key string) bool {
	for _, c := range catalogs {
		if _, ok := c[key]; ok {
			return true
		}
	}
	return false
}

var core = map[string]string{
	"app.name":           "Thing+ webapp",
	"nav.gateways":       "Gateways",
	"nav.rules":          "Rules",
	"nav.events":         "Events",
	"nav.trains":         "Trains",
	"nav.signout":        "Sign out",
	"nav.signin":         "Sign in",
	"nav.skip":           "Skip to content",
	"nav.main":           "Main",
	"home.title":         "Welcome",
	"home.lead":          "Watch your Thing+ gateways and sensors live, manage rules without writing JSON, and see how crowded every subway car is — right now.",
	"home.signin":        "Sign in with Thing+",
	"home.signup":        "Create a Thing+ account",
	"home.hello":         "Hello, %s",
	"home.signedin":      "You are signed in to Thing+ as %s.",
	"home.card.gateways": "Gateways, devices and sensors with live status, latest values and history charts.",
	"home.card.rules":    "Rules: triggers, conditions and actions — create, switch on and off, edit.",
	"home.card.trains":   "Trains: live passenger counts per car, pushed by Thing+ rules.",
	"auth.denied":        "You chose not to allow access, so you are not signed in. You can try again at any time.",
	"auth.failed":        "Signing in with Thing+ did not work: %s Please try again.",
	"auth.state":         "That sign-in link has expired or was already used.",
	"auth.upstream":      "Thing+ did not answer properly.",
	"auth.signedout":     "You are signed out.",
	"auth.expired":       "Your Thing+ session has expired. Please sign in again.",
	"auth.tryagain":      "Try again",
	"err.title":          "Something went wrong",
	"err.invalid":        "Please check what you entered.",
	"err.not_found":      "We could not find that.",
	"err.forbidden":      "That belongs to another account.",
	"err.unauthorized":   "Please sign in.",
	"err.conflict":       "That already exists.",
	"err.unavailable":    "Thing+ is unavailable right now; retrying.",
	"err.internal":       "Something went wrong on our side. It has been logged.",
	"err.sessions":       "Sessions are unavailable for a moment. Your sign-in is kept; please retry shortly.",
	"err.offline":        "Connection lost. Retrying…",
	"err.csrf":           "This request came from another site and was refused.",
	"footer.text":        "Thing+ webapp — data from Thing+ (Daliworks).",
	"footer.sandbox":     "Connected to the built-in Thing+ sandbox.",
	"common.updated":     "updated",
	"common.loading":     "Loading…",
}

// Feature catalogues: each feature's owner replaces its map in its own file.
