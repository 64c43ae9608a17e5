package rules

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/apperr"
	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/rulehistory"
	"github.com/thingplus/thingplus-webapp/thingplus"
	views "github.com/thingplus/thingplus-webapp/views/rules"
	"github.com/thingplus/thingplus-webapp/views/text"
	"github.com/thingplus/thingplus-webapp/wiring"
)

// targetWiring is the wiring check's panel.
const targetWiring = "wiring-panel"

// WithWiring turns on the wiring check of the door rules.
func (h *Handler) WithWiring(exp wiring.Expect) *Handler {
	h.wiring = exp
	return h
}

func (h *Handler) registerWiring(r gin.IRouter) {
	if h.wiring == nil {
		return
	}
	r.GET("/rules/wiring", h.wiringPage)
	r.POST("/rules/wiring/fix", h.wiringFix)
	r.POST("/rules/wiring/fix-all", h.wiringFixAll)
}

// problems checks the user's rules now.
func (h *Handler) problems(c *gin.Context) ([]thingplus.Rule, []wiring.Problem, error) {
	rules, err := h.rules.ListRules(c.Request.Context(), web.TokenOf(c))
	if err != nil {
		return nil, nil, err
	}
	ps, err := h.check(c, rules)
	return rules, ps, err
}

// check compares the rules with the account's doors and push URLs.
func (h *Handler) check(c *gin.Context, rules []thingplus.Rule) ([]wiring.Problem, error) {
	ctx, acct := c.Request.Context(), account(c)
	doors, err := h.wiring.Doors(ctx, acct)
	if err != nil {
		return nil, apperr.E(apperr.Unavailable, "", err)
	}
	return wiring.Check(rules, doors, h.pushURLOf(c)), nil
}

// pushURLOf is the account's push URL builder for the wiring check.
func (h *Handler) pushURLOf(c *gin.Context) func(sensorID, dir string) string {
	ctx, acct := c.Request.Context(), account(c)
	return func(sensorID, dir string) string { return h.wiring.PushURL(ctx, acct, sensorID, dir) }
}

// wiringCount is how many problems the rules list's tools bar shows (-1:
// not checked).
func (h *Handler) wiringCount(c *gin.Context, rules []thingplus.Rule) int {
	if h.wiring == nil {
		return -1
	}
	ps, err := h.check(c, rules)
	if err != nil {
		return -1
	}
	return len(ps)
}

func problemRow(ctx context.Context, p wiring.Problem) views.WiringProblem {
	what := text.T(ctx, "rules.wire.kind."+string(p.Kind))
	if p.Kind == wiring.Stale && p.OtherHost {
		what = fmt.Sprintf(text.T(ctx, "rules.wire.kind.host"), p.Host)
	}
	where := p.Where
	if where == "" {
		where = text.T(ctx, "rules.wire.nocar")
	}
	return views.WiringProblem{Key: p.Key(), Kind: string(p.Kind), What: what, Sensor: p.SensorID, Dir: p.Dir,
		Where: where, RuleID: p.RuleID, RuleName: p.RuleName, Fix: text.T(ctx, "rules.wire.fix."+string(p.Fix))}
}

func (h *Handler) wiringVM(ctx context.Context, ps []wiring.Problem, report []string) views.Wiring {
	vm := views.Wiring{Checked: true, Report: report}
	for _, p := range ps {
		vm.Problems = append(vm.Problems, problemRow(ctx, p))
	}
	return vm
}

func (h *Handler) renderWiring(c *gin.Context, status int, vm views.Wiring) {
	if web.IsFragment(c) && c.GetHeader(web.HeaderTarget) == targetWiring {
		web.Component(c, status, views.WiringPanel(vm))
		return
	}
	web.Render(c, status, web.Page{Title: text.T(c, "rules.wire.title"), Active: "rules"}, views.WiringPage(vm))
}

// wiringPage serves GET /rules/wiring.
func (h *Handler) wiringPage(c *gin.Context) {
	_, ps, err := h.problems(c)
	if err != nil {
		web.Fail(c, err)
		return
	}
	h.renderWiring(c, http.StatusOK, h.wiringVM(c, ps, nil))
}

// wiringFix serves POST /rules/wiring/fix: the problem is looked up again
// (a stale page never fixes what is no longer wrong) and fixed.
func (h *Handler) wiringFix(c *gin.Context) {
	key := c.PostForm("key")
	_, ps, err := h.problems(c)
	if err != nil {
		web.Fail(c, err)
		return
	}
	var report []string
	found := false
	for _, p := range ps {
		if p.Key() == key {
			found = true
			report = append(report, h.applyFix(c, p))
			break
		}
	}
	if !found {
		report = append(report, text.T(c, "rules.wire.gone"))
	}
	h.afterFix(c, report)
}

// wiringFixAll serves POST /rules/wiring/fix-all and reports each fix.
func (h *Handler) wiringFixAll(c *gin.Context) {
	_, ps, err := h.problems(c)
	if err != nil {
		web.Fail(c, err)
		return
	}
	var report []string
	for _, p := range ps {
		report = append(report, h.applyFix(c, p))
	}
	if len(report) == 0 {
		report = append(report, text.T(c, "rules.wire.nothing"))
	}
	h.afterFix(c, report)
}

func (h *Handler) afterFix(c *gin.Context, report []string) {
	_, ps, err := h.problems(c)
	if err != nil {
		web.Fail(c, err)
		return
	}
	h.renderWiring(c, http.StatusOK, h.wiringVM(c, ps, report))
}

// applyFix performs one fix (with the snapshot history wants first) and
// says what it did, or why it failed.
func (h *Handler) applyFix(c *gin.Context, p wiring.Problem) string {
	ctx, token := c.Request.Context(), web.TokenOf(c)
	done := func(err error, key string, args ...any) string {
		if err != nil {
			return fmt.Sprintf(text.T(c, "rules.wire.failed"), p.SensorID, p.Dir, upstreamMessage(c, err))
		}
		return fmt.Sprintf(text.T(c, key), args...)
	}
	switch p.Fix {
	case wiring.Create:
		u, _ := web.UserOf(c)
		r := wiring.DoorRule(u.Timezone, p.SensorID, p.Dir, h.pushURLOf(c)(p.SensorID, p.Dir))
		created, err := h.rules.CreateRule(ctx, token, r)
		if err == nil {
			_ = h.snapshot(c, rulehistory.Create, created, "")
		}
		return done(err, "rules.wire.did.create", p.Dir, p.SensorID, created.ID)
	case wiring.Delete:
		err := h.before(c, rulehistory.Delete, p.RuleID)
		if err == nil {
			err = h.rules.DeleteRule(ctx, token, p.RuleID)
		}
		return done(err, "rules.wire.did.delete", p.RuleID, p.RuleName)
	}
	cur, err := h.rules.GetRule(ctx, token, p.RuleID)
	if err != nil {
		return done(err, "")
	}
	action := rulehistory.Toggle
	switch p.Fix {
	case wiring.Repoint:
		action = rulehistory.Update
		cur = wiring.Repointed(cur, p.SensorID, p.Dir, h.pushURLOf(c)(p.SensorID, p.Dir))
	case wiring.Activate:
		cur.Status = thingplus.RuleActivated
	case wiring.Deactivate:
		cur.Status = thingplus.RuleDeactivated
	}
	if err := h.before(c, action, p.RuleID); err != nil {
		return done(err, "")
	}
	_, err = h.rules.UpdateRule(ctx, token, cur)
	return done(err, "rules.wire.did."+string(p.Fix), p.RuleID, p.RuleName)
}
