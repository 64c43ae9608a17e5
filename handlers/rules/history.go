package rules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/apperr"
	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/rulehistory"
	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/views/layout"
	views "github.com/thingplus/thingplus-webapp/views/rules"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// History keeps rule snapshots per Thing+ account (*rulehistory.Store).
type History interface {
	Record(ctx context.Context, v rulehistory.Version) (rulehistory.Version, error)
	Versions(ctx context.Context, account, ruleID string) ([]rulehistory.Version, error)
	Version(ctx context.Context, account string, id int64) (rulehistory.Version, error)
	Latest(ctx context.Context, account string) ([]rulehistory.Version, error)
}

// WithHistory snapshots every rule change made through these screens and
// turns on the history, diff, restore, export and import screens.
func (h *Handler) WithHistory(s History) *Handler {
	h.history = s
	return h
}

// tools is what the rules list links to.
func (h *Handler) tools(c *gin.Context, rules []thingplus.Rule) views.Tools {
	return views.Tools{History: h.history != nil, Wiring: h.wiring != nil, WiringProblems: h.wiringCount(c, rules)}
}

// registerTools adds the history, restore, export and import routes.
func (h *Handler) registerTools(r gin.IRouter) {
	if h.history == nil {
		return
	}
	r.GET("/rules/history", h.historyIndex)
	r.GET("/rules/export", h.export)
	r.POST("/rules/import", h.importRules)
	r.GET("/rules/:id/history", h.ruleHistory)
	r.GET("/rules/:id/history/:v", h.diff)
	r.POST("/rules/:id/history/:v/restore", h.restore)
}

// account is the Thing+ account history is kept under.
func account(c *gin.Context) string { return userKey(c) }

func actor(c *gin.Context) string {
	if u, ok := web.UserOf(c); ok && u.LoginID != "" {
		return u.LoginID
	}
	return account(c)
}

// snapshot records r before a change (after it, for a create). A failure
// is returned: callers refuse the change rather than make one that has no
// snapshot to go back to.
func (h *Handler) snapshot(c *gin.Context, action string, r thingplus.Rule, note string) error {
	if h.history == nil || r.ID == "" {
		return nil
	}
	body, err := json.Marshal(r)
	if err == nil {
		_, err = h.history.Record(c.Request.Context(), rulehistory.Version{Account: account(c), RuleID: r.ID,
			RuleName: r.Name, Action: action, Actor: actor(c), Body: body, Note: note})
	}
	if err != nil {
		slog.ErrorContext(c.Request.Context(), "rule snapshot failed", "rule", r.ID, "action", action, "err", err)
		return apperr.E(apperr.Unavailable, text.T(c, "rules.hist.err.snapshot"), err)
	}
	return nil
}

// before snapshots the rule as Thing+ has it now, before an update, a
// toggle or a delete. A rule Thing+ no longer has needs no snapshot.
func (h *Handler) before(c *gin.Context, action, id string) error {
	if h.history == nil {
		return nil
	}
	cur, err := h.rules.GetRule(c.Request.Context(), web.TokenOf(c), id)
	if thingplus.IsKind(err, thingplus.KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return h.snapshot(c, action, cur, "")
}

// decodeRule reads a stored snapshot.
func decodeRule(v rulehistory.Version) (thingplus.Rule, error) {
	var r thingplus.Rule
	err := json.Unmarshal(v.Body, &r)
	return r, err
}

// maskedBody is a snapshot as the user may see it: webhook keys hidden.
func (env formEnv) maskedBody(b json.RawMessage) json.RawMessage {
	var r thingplus.Rule
	if json.Unmarshal(b, &r) != nil {
		return b
	}
	out, err := json.Marshal(env.maskRule(r))
	if err != nil {
		return b
	}
	return out
}

// versionRow is the view model of one snapshot.
func (h *Handler) versionRow(c *gin.Context, env formEnv, v rulehistory.Version) views.VersionRow {
	r, _ := decodeRule(v)
	t := v.At.In(userLoc(c))
	return views.VersionRow{ID: strconv.FormatInt(v.ID, 10), RuleID: v.RuleID, Name: v.RuleName,
		When: t.Format("2006-01-02 15:04:05"), ISO: v.At.UTC().Format("2006-01-02T15:04:05Z"),
		Who: v.Actor, Action: text.T(c, "rules.hist.action."+v.Action), Summary: Summary(c, r, env.names()),
		Active: r.Status == thingplus.RuleActivated, Note: v.Note}
}

// historyIndex serves GET /rules/history: every rule with history, deleted
// ones included, and export/import.
func (h *Handler) historyIndex(c *gin.Context) {
	ctx := c.Request.Context()
	latest, err := h.history.Latest(ctx, account(c))
	if err != nil {
		web.Fail(c, apperr.E(apperr.Unavailable, "", err))
		return
	}
	live := map[string]bool{}
	if rules, err := h.rules.ListRules(ctx, web.TokenOf(c)); err == nil {
		for _, r := range rules {
			live[r.ID] = true
		}
	}
	env := h.env(c)
	vm := views.HistoryIndex{}
	for _, v := range latest {
		row := h.versionRow(c, env, v)
		row.Gone = !live[v.RuleID]
		vm.Rules = append(vm.Rules, row)
	}
	web.Render(c, http.StatusOK, web.Page{Title: text.T(c, "rules.hist.index"), Active: "rules"}, views.HistoryIndexPage(vm))
}

// ruleHistory serves GET /rules/:id/history.
func (h *Handler) ruleHistory(c *gin.Context) {
	ctx, id := c.Request.Context(), c.Param("id")
	vs, err := h.history.Versions(ctx, account(c), id)
	if err != nil {
		web.Fail(c, apperr.E(apperr.Unavailable, "", err))
		return
	}
	cur, curErr := h.rules.GetRule(ctx, web.TokenOf(c), id)
	gone := thingplus.IsKind(curErr, thingplus.KindNotFound) || thingplus.IsKind(curErr, thingplus.KindForbidden)
	if len(vs) == 0 && curErr != nil {
		web.Fail(c, curErr)
		return
	}
	env := h.env(c)
	vm := views.RuleHistory{RuleID: id, Gone: gone}
	if curErr == nil {
		vm.Name, vm.Current = cur.Name, Summary(c, cur, env.names())
	} else if len(vs) > 0 {
		vm.Name = vs[0].RuleName
	}
	for i, v := range vs {
		row := h.versionRow(c, env, v)
		switch {
		case i > 0:
			row.CompareWith = strconv.FormatInt(vs[i-1].ID, 10)
		case !gone && curErr == nil:
			row.CompareWith = "current"
		}
		vm.Versions = append(vm.Versions, row)
	}
	if from := c.Query("recreated"); from != "" {
		vm.Notice = layout.Notice{Kind: "ok", Text: tfText(c, "rules.hist.recreated", clip(from), id)}
	} else if c.Query("restored") != "" {
		vm.Notice = layout.Notice{Kind: "ok", Text: text.T(c, "rules.hist.restored")}
	}
	web.Render(c, http.StatusOK, web.Page{Title: text.T(c, "rules.hist.title"), Active: "rules"}, views.RuleHistoryPage(vm))
}

// versionOf reads the :v snapshot of :id for this account (404 otherwise).
func (h *Handler) versionOf(c *gin.Context) (rulehistory.Version, error) {
	n, err := strconv.ParseInt(c.Param("v"), 10, 64)
	if err != nil {
		return rulehistory.Version{}, apperr.E(apperr.NotFound, "", err)
	}
	v, err := h.history.Version(c.Request.Context(), account(c), n)
	if errors.Is(err, rulehistory.ErrNotFound) || (err == nil && v.RuleID != c.Param("id")) {
		return v, apperr.E(apperr.NotFound, "", rulehistory.ErrNotFound)
	}
	if err != nil {
		return v, apperr.E(apperr.Unavailable, "", err)
	}
	return v, nil
}

// diff serves GET /rules/:id/history/:v?with=current|<version>: the two
// one-line summaries and the fields that differ.
func (h *Handler) diff(c *gin.Context) {
	v, err := h.versionOf(c)
	if err != nil {
		web.Fail(c, err)
		return
	}
	env := h.env(c)
	old, _ := decodeRule(v)
	vm := views.Diff{RuleID: v.RuleID, Old: h.versionRow(c, env, v)}
	var newBody json.RawMessage
	switch with := c.DefaultQuery("with", "current"); with {
	case "current":
		cur, err := h.rules.GetRule(c.Request.Context(), web.TokenOf(c), v.RuleID)
		if err != nil {
			web.Fail(c, err)
			return
		}
		newBody, _ = json.Marshal(cur)
		vm.NewLabel, vm.NewSummary = text.T(c, "rules.hist.current"), Summary(c, cur, env.names())
	default:
		c.Params = append(c.Params[:0:0], gin.Param{Key: "id", Value: v.RuleID}, gin.Param{Key: "v", Value: with})
		w, err := h.versionOf(c)
		if err != nil {
			web.Fail(c, err)
			return
		}
		newBody = w.Body
		row := h.versionRow(c, env, w)
		vm.NewLabel, vm.NewSummary = tfText(c, "rules.hist.version", row.When, row.Action), row.Summary
	}
	vm.OldSummary = Summary(c, old, env.names())
	for _, ch := range rulehistory.Diff(env.maskedBody(v.Body), env.maskedBody(newBody)) {
		vm.Changes = append(vm.Changes, views.Change{Path: ch.Path, Old: ch.Old, New: ch.New})
	}
	web.Render(c, http.StatusOK, web.Page{Title: text.T(c, "rules.hist.diff"), Active: "rules"}, views.DiffPage(vm))
}

// restore serves POST /rules/:id/history/:v/restore: the rule gets the
// version back (its current state is snapshotted first); a rule that was
// deleted is created again, with the new id Thing+ gives it.
func (h *Handler) restore(c *gin.Context) {
	v, err := h.versionOf(c)
	if err != nil {
		web.Fail(c, err)
		return
	}
	r, err := decodeRule(v)
	if err != nil {
		web.Fail(c, apperr.E(apperr.Internal, "", err))
		return
	}
	ctx, token := c.Request.Context(), web.TokenOf(c)
	note := tfText(c, "rules.hist.note.restored", strconv.FormatInt(v.ID, 10))
	cur, err := h.rules.GetRule(ctx, token, v.RuleID)
	switch {
	case err == nil:
		if err := h.snapshot(c, rulehistory.Restore, cur, note); err != nil {
			web.Fail(c, err)
			return
		}
		r.ID = cur.ID
		if _, err := h.rules.UpdateRule(ctx, token, r); err != nil {
			web.Fail(c, err)
			return
		}
		web.Redirect(c, "/rules/"+cur.ID+"/history?restored=1")
	case thingplus.IsKind(err, thingplus.KindNotFound):
		r.ID, r.User, r.Site, r.Service, r.Ctime, r.Mtime = "", "", "", "", 0, 0
		created, err := h.rules.CreateRule(ctx, token, r)
		if err != nil {
			web.Fail(c, err)
			return
		}
		// both histories say what happened: the old id points to the new one
		_ = h.snapshot(c, rulehistory.Restore, created, tfText(c, "rules.hist.note.recreatedfrom", v.RuleID))
		old := r
		old.ID = v.RuleID
		_ = h.snapshot(c, rulehistory.Restore, old, tfText(c, "rules.hist.note.recreatedas", created.ID))
		web.Redirect(c, "/rules/"+created.ID+"/history?recreated="+v.RuleID)
	default:
		web.Fail(c, err)
	}
}

func tfText(ctx context.Context, key string, args ...any) string {
	return fmt.Sprintf(text.T(ctx, key), args...)
}
