package rules

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/dryrun"
	"github.com/thingplus/thingplus-webapp/thingplus/ruleeval"
	views "github.com/thingplus/thingplus-webapp/views/rules"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// targetDryRun is the element the dry-run result replaces.
const targetDryRun = "dryrun-result"

// dryWindows are the periods a rule can be tried on, shortest first.
var dryWindows = []struct {
	id  string
	dur time.Duration
}{{"hour", time.Hour}, {"day", 24 * time.Hour}, {"week", 7 * 24 * time.Hour}}

// maxDryFirings bounds the firings listed (all are counted).
const maxDryFirings = 50

// WithDryRun turns on "try on recent data" on the rule form, reading the
// recorded series from src (*thingplus.Client).
func (h *Handler) WithDryRun(src dryrun.SeriesSource) *Handler {
	h.series = src
	return h
}

func dryWindow(id string) (string, time.Duration) {
	for _, w := range dryWindows {
		if w.id == id {
			return w.id, w.dur
		}
	}
	return dryWindows[0].id, dryWindows[0].dur
}

// decorateDryRun fills the panel's choices.
func (h *Handler) decorateDryRun(ctx context.Context, f *views.Form) {
	f.History = h.history != nil && f.ID != ""
	if h.series == nil {
		return
	}
	f.DryRun.Window, _ = dryWindow(f.DryRun.Window)
	f.DryRun.Windows = nil
	for _, w := range dryWindows {
		f.DryRun.Windows = append(f.DryRun.Windows, views.Option{Value: w.id, Label: text.T(ctx, "rules.dry.window."+w.id)})
	}
}

// dryRun handles op=dryrun: the rule as the form describes it (saved or
// not) is replayed over the chosen period; the result replaces the panel,
// the form and what was typed stay as they are.
func (h *Handler) dryRun(c *gin.Context, env formEnv, f views.Form) {
	if h.series == nil {
		f.Errors = map[string]string{"form": text.T(c, "err.invalid")}
		h.renderForm(c, http.StatusUnprocessableEntity, env, f, "")
		return
	}
	win, dur := dryWindow(c.Request.PostForm.Get("dry.window"))
	f.DryRun = views.DryRun{Window: win, Ran: true}
	r, errs := h.formRule(env, f)
	if len(errs) > 0 {
		// field errors show in the form: the whole form is answered
		f.Errors, f.DryRun.Invalid = errs, true
		if web.IsFragment(c) {
			c.Header("HX-Retarget", "#"+targetForm)
			c.Header("HX-Reswap", "outerHTML")
			c.Request.Header.Set(web.HeaderTarget, targetForm)
		}
		h.renderForm(c, http.StatusUnprocessableEntity, env, f, "")
		return
	}
	to := h.now()
	from := to.Add(-dur)
	gatewayOf := func(id string) string { gw, _, _ := env.sensor(id); return gw }
	res, err := dryrun.Run(c.Request.Context(), h.series, web.TokenOf(c), r, gatewayOf, from, to)
	status := http.StatusOK
	var unj *dryrun.Unjudgeable
	var te *thingplus.Error
	switch {
	case err == nil:
		f.DryRun = dryView(c, res, win, env.names(), userLoc(c))
	case errors.As(err, &unj):
		f.DryRun.Unjudgeable = unj.Reason
	case thingplus.IsKind(err, thingplus.KindUnavailable):
		f.DryRun.Unavailable, status = true, http.StatusServiceUnavailable
		f.DryRun.Reason = web.Reason(c, err)
	case errors.As(err, &te) && te.Kind != thingplus.KindUnauthorized:
		f.DryRun.Unjudgeable = upstreamMessage(c, err) // e.g. a sensor Thing+ does not know
	default:
		web.Fail(c, err)
		return
	}
	h.decorateDryRun(c, &f)
	if web.IsFragment(c) && c.GetHeader(web.HeaderTarget) == targetDryRun {
		web.Component(c, status, views.DryRunResult(f.DryRun))
		return
	}
	h.renderForm(c, status, env, f, "")
}

// formRule is the rule the form (either tab) describes, or its errors.
func (h *Handler) formRule(env formEnv, f views.Form) (thingplus.Rule, map[string]string) {
	if f.Tab == tabAdvanced {
		r, msg, _ := env.parseRaw(f.Raw)
		if msg != "" {
			return r, map[string]string{"raw": msg}
		}
		return r, nil
	}
	r, errs, _ := env.build(f)
	return r, errs
}

// dryView maps a replay to the panel.
func dryView(ctx context.Context, res dryrun.Result, win string, n names, loc *time.Location) views.DryRun {
	const stamp = "2006-01-02 15:04"
	vm := views.DryRun{Window: win, Ran: true,
		Period: res.From.In(loc).Format(stamp) + " – " + res.To.In(loc).Format(stamp)}
	for _, id := range res.Plan.Triggers {
		vm.Points += len(res.Series[id])
	}
	vm.Truncated = len(res.Truncated) > 0
	for i, f := range res.Firings {
		if i >= maxDryFirings {
			vm.More = len(res.Firings) - maxDryFirings
			break
		}
		t := time.UnixMilli(f.Time)
		vm.Firings = append(vm.Firings, views.DryFiring{Time: t.In(loc).Format("01-02 15:04:05"), ISO: t.UTC().Format(time.RFC3339), Value: f.Value})
	}
	for _, agent := range []string{thingplus.AgentEmail, "sms", thingplus.AgentDataPush, thingplus.AgentActuator} {
		if k, ok := res.Actions[agent]; ok {
			vm.Actions = append(vm.Actions, views.DryAction{Label: agentLabel(ctx, agent), Count: k})
		}
	}
	for agent, k := range res.Actions {
		if !strings.Contains(" email sms dataPush actuator ", " "+agent+" ") {
			vm.Actions = append(vm.Actions, views.DryAction{Label: agentLabel(ctx, agent), Count: k})
		}
	}
	if res.OverQuota {
		vm.Quota = fmt.Sprintf(text.T(ctx, "rules.dry.quota"), res.EmailsPerMonth, dryrun.EmailsPerMonth)
	}
	if len(res.Plan.Triggers) > 0 {
		id := res.Plan.Triggers[0]
		vm.Sensor = n.of(id)
		vm.Chart = dryChart(ctx, res.Series[id], res.Firings, res.From, res.To, loc)
	}
	return vm
}

func agentLabel(ctx context.Context, agent string) string {
	if k := "rules.dry.agent." + agent; text.Has(k) {
		return text.T(ctx, k)
	}
	return agent
}

// dryChart draws the trigger sensor's numeric values over the period and
// marks each firing; nil when there is nothing numeric to draw.
func dryChart(ctx context.Context, pts []ruleeval.Point, firings []ruleeval.Firing, from, to time.Time, loc *time.Location) *views.DryChart {
	const w, h, pad = 600, 120, 6
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		if v, err := ruleeval.Number(p.Value); err == nil {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) {
		return nil
	}
	if hi == lo {
		lo, hi = lo-1, hi+1
	}
	span := float64(to.UnixMilli() - from.UnixMilli())
	x := func(t int64) float64 { return math.Max(0, math.Min(w, float64(t-from.UnixMilli())/span*w)) }
	y := func(v float64) float64 { return pad + (hi-v)/(hi-lo)*(h-2*pad) }
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	var line strings.Builder
	for _, p := range pts {
		if v, err := ruleeval.Number(p.Value); err == nil {
			line.WriteString(f(x(p.Time)) + "," + f(y(v)) + " ")
		}
	}
	ch := &views.DryChart{Width: w, Height: h, Line: strings.TrimSpace(line.String()),
		Min: strconv.FormatFloat(lo, 'g', 4, 64), Max: strconv.FormatFloat(hi, 'g', 4, 64),
		From: from.In(loc).Format("01-02 15:04"), To: to.In(loc).Format("01-02 15:04")}
	for _, fi := range firings {
		yv := float64(h) / 2
		if v, err := ruleeval.Number(fi.Value); err == nil {
			yv = y(v)
		}
		ch.Marks = append(ch.Marks, views.DryMark{X: f(x(fi.Time)), Y: f(yv),
			Title: time.UnixMilli(fi.Time).In(loc).Format("01-02 15:04:05") + " = " + fi.Value})
	}
	ch.Label = text.N(ctx, "rules.dry.chart", len(firings), len(pts))
	return ch
}
