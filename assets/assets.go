// Package assets embeds the static files (CSS, the app's small script, the
// vendored htmx) and serves them under content-hashed URLs, so browsers can
// cache them forever and a new build is picked up at once.
package assets

import (
	"bytes"
	"compress/gzip"
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
	gz   []byte // gzip of data, compressed once at start; nil when not worth it
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
		a.byHashed[hashed] = file{name: p, data: data, gz: precompress(p, data)}
		return nil
	})
	return a
}

// precompress gzips text assets once, at the best level, so no request
// pays for compressing them (vendored htmx cost ~5 ms of CPU per request
// through the response gzip middleware). Files that do not shrink by a
// tenth are served as they are.
func precompress(name string, data []byte) []byte {
	switch path.Ext(name) {
	case ".js", ".css", ".svg", ".json", ".txt", ".LICENSE":
	default:
		return nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(data)
	_ = zw.Close()
	if buf.Len() > len(data)*9/10 {
		return nil
	}
	return buf.Bytes()
}

// acceptsGzip reads Accept-Encoding: gzip listed without q=0.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") || strings.TrimSpace(coding) == "*" {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
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
		body := f.data
		if f.gz != nil {
			w.Header().Add("Vary", "Accept-Encoding")
			if acceptsGzip(r.Header.Get("Accept-Encoding")) {
				w.Header().Set("Content-Encoding", "gzip")
				body = f.gz
			}
		}
		http.ServeContent(w, r, f.name, modTime, bytes.NewReader(body))
	})
}
