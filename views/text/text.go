// Package text keeps every user-facing string in one place, one catalogue
// per language with the same keys. Each feature owns one file with one map
// per language (gateways.go, gateways_ko.go); T looks a key up in the
// catalogues of the request's language, carried in its context.
package text

import (
	"context"
	"fmt"
	"strings"
)

// catalogs lists the English maps of every feature, in lookup order.
var catalogs = []map[string]string{core, gateways, rules, trains, bounds, ops, rulesTools, since, screens, trainsOps, homeTexts, shellTexts, trainsAccess, rulesList, doorRules, gatewayPage, addKinds, plainWords, gwPaging, trainsZone}

// Lang is a language the app speaks.
type Lang string

// The app's languages. Korean is the default for visitors who state no
// preference (Thing+ is a Korean platform).
const (
	Korean  Lang = "ko"
	English Lang = "en"
)

// Langs are the supported languages, the default first.
var Langs = []Lang{Korean, English}

// ParseLang accepts "ko" or "en".
func ParseLang(s string) (Lang, bool) {
	switch Lang(s) {
	case Korean, English:
		return Lang(s), true
	}
	return "", false
}

type langKey struct{}

// WithLang returns ctx carrying lang; the language middleware sets it on
// every request, so handlers and templ components render in it.
func WithLang(ctx context.Context, lang Lang) context.Context {
	return context.WithValue(ctx, langKey{}, lang)
}

// LangOf is the language carried by ctx. A context without one (a unit
// test, a background job) gets English, the catalogue's source language;
// requests always carry one (Korean unless the visitor asked otherwise).
func LangOf(ctx context.Context) Lang {
	if ctx != nil {
		if l, ok := ctx.Value(langKey{}).(Lang); ok {
			return l
		}
	}
	return English
}

// T returns the text for key in ctx's language, formatted with args when
// there are any. A key missing in Korean falls back to English, a key
// missing everywhere is returned as is (tests check both never happen).
func T(ctx context.Context, key string, args ...any) string {
	return In(LangOf(ctx), key, args...)
}

// In is T for an explicit language (SSE fragments, rendered once per
// language for many streams).
func In(lang Lang, key string, args ...any) string {
	s := lookup(lang, key)
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// N is T for a count: the text may hold plural forms separated by "|"
// ("%d car|%d cars"); English takes the first for 1 and the second
// otherwise, Korean has one form (with a counter: "%d칸"). n is the first
// formatting argument, args follow.
func N(ctx context.Context, key string, n int, args ...any) string {
	return fmt.Sprintf(Form(ctx, key, n), append([]any{n}, args...)...)
}

// Form is the plural form of key for n, unformatted: for a count shown
// apart from its words ("<strong>3</strong> times it would have fired").
func Form(ctx context.Context, key string, n int) string {
	forms := strings.Split(lookup(LangOf(ctx), key), "|")
	if n == 1 {
		return forms[0]
	}
	return forms[len(forms)-1]
}

func lookup(lang Lang, key string) string {
	if lang == Korean {
		if s, ok := find(catalogsKo, key); ok {
			return s
		}
	}
	if s, ok := find(catalogs, key); ok {
		return s
	}
	return key
}

func find(cs []map[string]string, key string) (string, bool) {
	for _, c := range cs {
		if s, ok := c[key]; ok {
			return s, true
		}
	}
	return "", false
}

// Has reports whether key exists in the (English) catalogue.
func Has(key string) bool {
	_, ok := find(catalogs, key)
	return ok
}

var core = map[string]string{
	"app.name":           "Thing+ webapp",
	"nav.home":           "Home",
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
	"theme.toggle":       "Theme",
	"lang.label":         "Language",
	"lang.ko":            "한국어",
	"lang.en":            "English",
}

// Feature catalogues: each feature's owner replaces its map in its own file.
