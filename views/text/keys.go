package text

import "strings"

// LooksLikeKey reports whether s reads like a catalogue key rather than a
// text: a key itself, or a dotted word in a key's namespace
// ("trains.outcome.gone" beside "trains.outcome.applied"). T shows the key
// for a text that was never written; the end-to-end tour looks for such.
func LooksLikeKey(s string) bool {
	if Has(s) {
		return true
	}
	i := strings.LastIndexByte(s, '.')
	if i <= 0 {
		return false
	}
	ns := s[:i+1]
	for _, c := range catalogs {
		for k := range c {
			if strings.HasPrefix(k, ns) {
				return true
			}
		}
	}
	return false
}
