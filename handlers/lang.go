package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/language"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// langCookie remembers an explicit language choice for a year.
const (
	langCookie = "lang"
	langMaxAge = 365 * 24 * time.Hour
)

// langMatcher maps an Accept-Language header to one of the app's
// languages; the first (Korean) is the answer when nothing matches.
var langMatcher = language.NewMatcher([]language.Tag{language.Korean, language.English})

// chooseLang is THE language decision: an explicit choice (the cookie set
// by the header's switch) wins, then Accept-Language, then Korean.
func chooseLang(r *http.Request) text.Lang {
	if ck, err := r.Cookie(langCookie); err == nil {
		if l, ok := text.ParseLang(ck.Value); ok {
			return l
		}
	}
	if h := r.Header.Get("Accept-Language"); h != "" {
		tags, _, err := language.ParseAcceptLanguage(h)
		if err == nil && len(tags) > 0 {
			_, i, conf := langMatcher.Match(tags...)
			if conf != language.No {
				return text.Langs[i]
			}
		}
	}
	return text.Korean
}

// withLang puts the request's language in its context, for handlers and
// templ components alike. The answer depends on Accept-Language, so every
// response says so in Vary — added as the headers go out, because handlers
// set "Vary: HX-Request" with Header().Set.
func withLang(c *gin.Context) {
	c.Request = c.Request.WithContext(text.WithLang(c.Request.Context(), chooseLang(c.Request)))
	c.Writer = &varyWriter{ResponseWriter: c.Writer}
	c.Next()
}

// varyWriter adds "Vary: Accept-Language" just before the headers are sent.
type varyWriter struct {
	gin.ResponseWriter
	done bool
}

func (w *varyWriter) vary() {
	if w.done || w.Written() {
		return
	}
	w.done = true
	h := w.Header()
	for _, v := range h.Values("Vary") {
		if strings.Contains(v, "Accept-Language") {
			return
		}
	}
	h.Add("Vary", "Accept-Language")
}

func (w *varyWriter) WriteHeaderNow() { w.vary(); w.ResponseWriter.WriteHeaderNow() }

func (w *varyWriter) Write(b []byte) (int, error) { w.vary(); return w.ResponseWriter.Write(b) }

func (w *varyWriter) WriteString(s string) (int, error) {
	w.vary()
	return w.ResponseWriter.WriteString(s)
}

func (w *varyWriter) Flush() { w.vary(); w.ResponseWriter.Flush() }

// switchLang serves POST /lang (the header's 한국어 / English buttons, a
// plain form that works without JavaScript): remember the choice, then go
// back to the page it was made on.
func switchLang(secure bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		l, ok := text.ParseLang(c.PostForm("lang"))
		if !ok {
			web.Fail(c, web.Invalid("lang", text.T(c, "err.invalid")))
			return
		}
		http.SetCookie(c.Writer, &http.Cookie{Name: langCookie, Value: string(l), Path: "/",
			MaxAge: int(langMaxAge / time.Second), HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
		next := safeNext(c.PostForm("next"))
		if next == "" {
			next = "/"
		}
		web.Redirect(c, next)
	}
}
