package rulehistory

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
)

// Change is one field that differs between two versions of a rule. Old is
// empty for an added field, New for a removed one.
type Change struct {
	Path     string // e.g. trigger.method.params.degree, actions[0][1].method.params.to
	Old, New string // JSON values
}

// ignored are the keys Thing+ rewrites on every save: a diff of them says nothing.
var ignored = map[string]bool{"mtime": true, "ctime": true}

// Diff lists the fields that differ between two rule bodies, by path.
// A body that is not JSON counts as one opaque value.
func Diff(a, b json.RawMessage) []Change {
	fa, fb := map[string]string{}, map[string]string{}
	flatten("", a, fa)
	flatten("", b, fb)
	var paths []string
	for p := range fa {
		paths = append(paths, p)
	}
	for p := range fb {
		if _, ok := fa[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var out []Change
	for _, p := range paths {
		if fa[p] != fb[p] {
			out = append(out, Change{Path: p, Old: fa[p], New: fb[p]})
		}
	}
	return out
}

// Same reports whether two rule bodies are the same rule (ids, owners and
// times aside): what import compares to skip an identical rule.
func Same(a, b json.RawMessage) bool {
	fa, fb := map[string]string{}, map[string]string{}
	flatten("", a, fa)
	flatten("", b, fb)
	for _, k := range []string{"id", "_user", "_site", "_service"} {
		delete(fa, k)
		delete(fb, k)
	}
	if len(fa) != len(fb) {
		return false
	}
	for k, v := range fa {
		if fb[k] != v {
			return false
		}
	}
	return true
}

func flatten(path string, raw json.RawMessage, out map[string]string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return
	}
	switch raw[0] {
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) == nil {
			for k, v := range m {
				if path == "" && ignored[k] {
					continue
				}
				p := k
				if path != "" {
					p = path + "." + k
				}
				flatten(p, v, out)
			}
			if len(m) == 0 && path != "" {
				out[path] = "{}"
			}
			return
		}
	case '[':
		var l []json.RawMessage
		if json.Unmarshal(raw, &l) == nil {
			for i, v := range l {
				flatten(path+"["+strconv.Itoa(i)+"]", v, out)
			}
			if len(l) == 0 {
				out[path] = "[]"
			}
			return
		}
	}
	var v any
	if json.Unmarshal(raw, &v) == nil {
		b, _ := json.Marshal(v) // one spelling for equal values
		raw = b
	}
	out[path] = string(raw)
}
