package assets

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestPrecompressedAssets: text assets go out gzipped (compressed once at
// start) to clients that accept it and as they are to the others; both
// carry Vary: Accept-Encoding and decode to the embedded file.
func TestPrecompressedAssets(t *testing.T) {
	a := New()
	want, err := fs.ReadFile(static, "static/vendor/htmx-2.0.11.min.js")
	if err != nil {
		t.Fatal(err)
	}
	get := func(accept string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, a.Path("vendor/htmx-2.0.11.min.js"), nil)
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		w := httptest.NewRecorder()
		a.Handler().ServeHTTP(w, req)
		return w
	}
	gz := get("gzip, deflate, br")
	if gz.Code != 200 || gz.Header().Get("Content-Encoding") != "gzip" || gz.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("gzip: %d %v", gz.Code, gz.Header())
	}
	if gz.Body.Len() > len(want)/2 {
		t.Fatalf("gzipped htmx is %d bytes of %d", gz.Body.Len(), len(want))
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); !bytes.Equal(got, want) {
		t.Fatal("gzipped body does not decode to the file")
	}
	for _, accept := range []string{"", "identity", "gzip;q=0, br"} {
		plain := get(accept)
		if plain.Header().Get("Content-Encoding") != "" || !bytes.Equal(plain.Body.Bytes(), want) {
			t.Fatalf("Accept-Encoding %q: encoding %q, %d bytes", accept, plain.Header().Get("Content-Encoding"), plain.Body.Len())
		}
	}
	// A favicon SVG of a few hundred bytes may not shrink enough to bother;
	// either way it must be served whole.
	if w := httptest.NewRecorder(); true {
		a.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, a.Path("favicon.svg"), nil))
		if w.Code != 200 || w.Body.Len() == 0 {
			t.Fatalf("favicon: %d", w.Code)
		}
	}
}
