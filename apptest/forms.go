package apptest

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"
)

// Form is an HTML form read from a page.
type Form struct {
	Action string // resolved absolute URL
	Method string
	Values url.Values // hidden fields and defaults
}

// FindForm reads the first form in page (fetched from pageURL) matching
// selector, with its default values.
func FindForm(pageURL, page, selector string) (*Form, bool) {
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(page))
	if err != nil {
		return nil, false
	}
	sel := doc.Find(selector).First()
	if sel.Length() == 0 {
		return nil, false
	}
	base, _ := url.Parse(pageURL)
	action, _ := sel.Attr("action")
	au, err := base.Parse(action)
	if err != nil {
		return nil, false
	}
	method, _ := sel.Attr("method")
	f := &Form{Action: au.String(), Method: strings.ToUpper(method), Values: url.Values{}}
	if f.Method == "" {
		f.Method = http.MethodGet
	}
	sel.Find("input").Each(func(_ int, in *goquery.Selection) {
		name, ok := in.Attr("name")
		typ, _ := in.Attr("type")
		if !ok || typ == "submit" || typ == "button" || ((typ == "checkbox" || typ == "radio") && !in.Is("[checked]")) {
			return
		}
		v, _ := in.Attr("value")
		f.Values.Set(name, v)
	})
	return f, true
}

// Submit posts the form with extra values (e.g. the pressed button's name).
func (b *Browser) Submit(f *Form, set map[string]string) *Response {
	b.t.Helper()
	vals := url.Values{}
	for k, v := range f.Values {
		vals[k] = append([]string(nil), v...)
	}
	for k, v := range set {
		vals.Set(k, v)
	}
	if f.Method == http.MethodGet {
		u, _ := url.Parse(f.Action)
		u.RawQuery = vals.Encode()
		return b.Get(u.String())
	}
	return b.PostForm(f.Action, vals)
}

// InputNames lists the names of a form's inputs (for tests that look for
// the login and password fields without hard-coding their names).
func InputNames(page, selector string) []string {
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(page))
	if err != nil {
		return nil
	}
	var names []string
	doc.Find(selector).First().Find("input, button").Each(func(_ int, in *goquery.Selection) {
		if n, ok := in.Attr("name"); ok {
			names = append(names, n)
		}
	})
	return names
}
