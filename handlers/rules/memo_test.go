package rules

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
)

// withCache rebuilds the harness's handler on the cached client, as main
// wires it.
func withCache(hs *harness) *thingplus.Cached {
	cc := thingplus.NewCached(hs.c, thingplus.CacheOptions{})
	hs.h = New(cc, hs.c, GatewayPicker(hs.c), hs.push)
	hs.engine = gin.New()
	user := thingplus.User{ID: "1", LoginID: "demo", Nickname: "Demo", Timezone: "+9.00"}
	hs.engine.Use(func(c *gin.Context) { web.SetSignedIn(c, user, hs.token); c.Next() })
	hs.h.Register(hs.engine)
	return cc
}

// The tables fragment is served again while its inputs are the same, and
// never after the user's own change or with another filter.
func TestTablesMemoFollowsChanges(t *testing.T) {
	hs := newHarness(t)
	withCache(hs)
	a := hs.do("GET", "/rules", nil, targetTables)
	b := hs.do("GET", "/rules", nil, targetTables)
	if a.Code != 200 || b.Body.String() != a.Body.String() || a.find("rule-row").Length() == 0 && a.doc.Find("tr[id^=rule-]").Length() == 0 {
		t.Fatalf("repeat: %d, same %v", a.Code, a.Body.String() == b.Body.String())
	}
	if a.Header().Get("Vary") != "HX-Request" || b.Header().Get("Vary") != "HX-Request" {
		t.Fatal("Vary")
	}
	if a.doc.Find("tr#rule-4").AttrOr("data-status", "") != "true" {
		t.Fatalf("rule 4 not active at first")
	}
	// The user's own change shows at once (the cache and the memo follow it).
	if r := hs.do("POST", "/rules/4/status", url.Values{"status": {"deactivated"}}, "rule-4"); r.Code != http.StatusOK {
		t.Fatalf("toggle %d", r.Code)
	}
	c := hs.do("GET", "/rules", nil, targetTables)
	if c.doc.Find("tr#rule-4").AttrOr("data-status", "") != "false" {
		t.Fatal("the list after a toggle still shows the rule active")
	}
	// Another filter is another rendering.
	f := hs.do("GET", "/rules?status=deactivated", nil, targetTables)
	if f.Body.String() == c.Body.String() || f.doc.Find("tr#rule-4").Length() != 1 {
		t.Fatal("filter served from the memo")
	}
	// The whole page still renders (not memoised) with the same data.
	if p := hs.do("GET", "/rules", nil, ""); p.Code != 200 || !p.page() || p.doc.Find("tr#rule-4").AttrOr("data-status", "") != "false" {
		t.Fatalf("page %d", p.Code)
	}
}
