// Package assets embeds the static files (CSS, the app's small script, the
// vendored htmx) and serves them under content-hashed URLs, so browsers can
// cache them forever and a new build is picked up at once.
package assets

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// Prefix is the URL path under which assets are served.
const Prefix = "/assets/"

// Assets maps logical names ("app.css") to hashed URLs and back.
type Assets struct {
	byName   map[string]string // "app.css" → "/assets/app.1a2b3c4d5e.css"
	byHashed map[string]file   // "app.1a2b3c4d5e.css" → file
}

type file struct {
	name string
	data []byte
}

// New hashes every embedded file.
func New() *Assets {
	a := &Assets{byName: map[string]string{}, byHashed: map[string]file{}}
	sub, _ := fs.Sub(static, "static")
	_ = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		ext := path.Ext(p)
		hashed := strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		a.byName[p] = Prefix + hashed
		a.byHashed[hashed] = file{name: p, data: data}
		return nil
	})
	return a
}

// Path is the hashed URL of a logical name; it panics on a typo so a missing
// asset fails the first test that renders the page, not a user's browser.
func (a *Assets) Path(name string) string {
	p, ok := a.byName[name]
	if !ok {
		panic("assets: no file " + name)
	}
	return p
}

// Handler serves hashed files with immutable caching. Unknown names are 404.
func (a *Assets) Handler() http.Handler {
	modTime := time.Unix(0, 0)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, Prefix)
		f, ok := a.byHashed[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if ct := mime.TypeByExtension(path.Ext(f.name)); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		if strings.HasSuffix(f.name, ".LICENSE") {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		http.ServeContent(w, r, f.name, modTime, strings.NewReader(string(f.data)))
	})
}
