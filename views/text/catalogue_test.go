package text

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func union(cs []map[string]string) map[string]string {
	out := map[string]string{}
	for _, c := range cs {
		for k, v := range c {
			out[k] = v
		}
	}
	return out
}

// verbs are the formatting verbs of s without their argument indexes
// ("%[2]s" counts as "%s": Korean often reorders), plus {{placeholders}}.
var verbRe = regexp.MustCompile(`%(?:\[\d+\])?[-+# 0]*\d*(?:\.\d+)?[a-zA-Z%]|\{\{\w+\}\}|\{\w+\}`)

func verbs(s string) []string {
	var out []string
	for _, v := range verbRe.FindAllString(s, -1) {
		out = append(out, regexp.MustCompile(`\[\d+\]`).ReplaceAllString(v, ""))
	}
	slices.Sort(out)
	return out
}

// Every key has a non-empty Korean and English text with the same
// placeholders; every plural form of a text has them too.
func TestCataloguesMatch(t *testing.T) {
	en, ko := union(catalogs), union(catalogsKo)
	if len(en) < 400 {
		t.Fatalf("only %d English keys: a catalogue is missing from the list", len(en))
	}
	for k, e := range en {
		kv, ok := ko[k]
		switch {
		case !ok:
			t.Errorf("%s: no Korean text (English %q)", k, e)
			continue
		case strings.TrimSpace(e) == "" || strings.TrimSpace(kv) == "":
			t.Errorf("%s: empty text", k)
		}
		want := verbs(strings.Split(e, "|")[0])
		for _, form := range append(strings.Split(e, "|"), strings.Split(kv, "|")...) {
			if got := verbs(form); !slices.Equal(got, want) {
				t.Errorf("%s: placeholders %v in %q, want %v", k, got, form, want)
			}
		}
	}
	for k := range ko {
		if _, ok := en[k]; !ok {
			t.Errorf("%s: Korean text without an English one", k)
		}
	}
}

// Korean text is Korean: a Latin word in it must be a name or a term the
// Portal itself writes in Latin letters.
func TestKoreanHasNoStrayEnglish(t *testing.T) {
	allowed := map[string]bool{}
	for _, w := range KoreanLatinAllowed {
		allowed[strings.ToLower(w)] = true
	}
	word := regexp.MustCompile(`[A-Za-z][A-Za-z+]*`)
	for k, v := range union(catalogsKo) {
		v = regexp.MustCompile(`\{\{?\w+\}?\}|%(?:\[\d+\])?[a-z]|https?://|scope `+"`[a-z-]+`"+`|\b[A-Z]+_[A-Z_]+\b`).ReplaceAllString(v, "")
		for _, w := range word.FindAllString(v, -1) {
			if !allowed[strings.ToLower(w)] {
				t.Errorf("%s: Latin word %q in Korean %q", k, w, v)
			}
		}
	}
}

func TestPluralsAndFallbacks(t *testing.T) {
	ctx := WithLang(context.Background(), English)
	ko := WithLang(context.Background(), Korean)
	catalogs = append(catalogs, map[string]string{"test.cars": "%d car|%d cars", "test.only.en": "only"})
	catalogsKo = append(catalogsKo, map[string]string{"test.cars": "%d칸"})
	defer func() { catalogs, catalogsKo = catalogs[:len(catalogs)-1], catalogsKo[:len(catalogsKo)-1] }()
	for n, want := range map[int]string{0: "0 cars", 1: "1 car", 2: "2 cars"} {
		if got := N(ctx, "test.cars", n); got != want {
			t.Errorf("N(en, %d) = %q, want %q", n, got, want)
		}
	}
	if got := N(ko, "test.cars", 1); got != "1칸" {
		t.Errorf("N(ko, 1) = %q", got)
	}
	if T(ko, "test.only.en") != "only" || T(ko, "no.such.key") != "no.such.key" {
		t.Error("fallbacks: a key missing in Korean reads English, a missing key reads as itself")
	}
	if LangOf(context.Background()) != English || LangOf(ko) != Korean {
		t.Error("LangOf")
	}
	if T(ko, "nav.rules") != "규칙" || T(ctx, "nav.rules") != "Rules" || In(Korean, "home.hello", "민수") != "민수님, 안녕하세요" {
		t.Error("lookups")
	}
}

// TestEnglishCountsHavePlurals: an English text that puts a count before a
// plural noun ("%d cars") reads "1 cars" for one; it must come in forms
// ("%d car|%d cars", text.N) unless the count can never be 1 or the noun
// belongs to another number (listed with the reason).
func TestEnglishCountsHavePlurals(t *testing.T) {
	allowed := map[string]string{
		"rules.err.namelen":   "a fixed limit, never 1",
		"rules.err.textlen":   "a fixed limit, never 1",
		"rules.err.maxgroups": "a fixed limit, never 1",
		"rules.count":         "the noun belongs to the total (\"of %d rules\")",
		"rules.list.count":    "the noun belongs to the total",
		"gw.shown":            "the noun belongs to the total",
	}
	countNoun := regexp.MustCompile(`%d [a-z]+s\b`)
	for _, c := range catalogs {
		for key, s := range c {
			if strings.Contains(s, "|") || allowed[key] != "" || !countNoun.MatchString(s) {
				continue
			}
			if m := countNoun.FindString(s); strings.HasSuffix(m, "ss") || strings.HasSuffix(m, " is") || strings.HasSuffix(m, " has") {
				continue
			}
			t.Errorf("%s: %q needs plural forms (\"%%d … | %%d …s\" with text.N)", key, s)
		}
	}
}
