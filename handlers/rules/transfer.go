package rules

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/apperr"
	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/rulehistory"
	"github.com/thingplus/thingplus-webapp/thingplus"
	views "github.com/thingplus/thingplus-webapp/views/rules"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// exportFormat names the file export writes and import reads.
const exportFormat = "thingplus-webapp/rules"

// maxImport bounds an imported file.
const maxImport = 4 << 20

// exportFile is the JSON export: every rule and template of the account,
// webhook keys hidden (import puts this app's key back).
type exportFile struct {
	Format     string           `json:"format"`
	Version    int              `json:"version"`
	ExportedAt string           `json:"exportedAt"`
	Rules      []thingplus.Rule `json:"rules"`
}

// export serves GET /rules/export as a file download.
func (h *Handler) export(c *gin.Context) {
	rules, err := h.rules.ListRules(c.Request.Context(), web.TokenOf(c))
	if err != nil {
		web.Fail(c, err)
		return
	}
	env := h.env(c)
	f := exportFile{Format: exportFormat, Version: 1, ExportedAt: h.now().UTC().Format(time.RFC3339), Rules: []thingplus.Rule{}}
	for _, r := range rules {
		f.Rules = append(f.Rules, env.maskRule(r))
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		web.Fail(c, apperr.E(apperr.Internal, "", err))
		return
	}
	c.Header("Content-Disposition", `attachment; filename="thingplus-rules-`+h.now().Format("2006-01-02")+`.json"`)
	c.Data(http.StatusOK, "application/json; charset=utf-8", b)
}

// readImport reads the uploaded file (or, at the apply step, the text the
// check step carried).
func readImport(c *gin.Context) (string, error) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxImport+64<<10)
	if s := c.PostForm("content"); s != "" {
		return s, nil
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return "", fmt.Errorf("%s", text.T(c, "rules.io.nofile"))
	}
	f, err := fh.Open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxImport+1))
	if err != nil || len(b) > maxImport {
		return "", fmt.Errorf("larger than %d MiB", maxImport>>20)
	}
	return string(b), nil
}

func parseImport(s string) ([]thingplus.Rule, error) {
	var f exportFile
	if err := json.Unmarshal([]byte(s), &f); err != nil {
		return nil, fmt.Errorf("not JSON (%v)", err)
	}
	if f.Format != exportFormat {
		return nil, fmt.Errorf("format %q", f.Format)
	}
	return f.Rules, nil
}

// importRules serves POST /rules/import: op=check reports what would
// happen rule by rule, op=apply does it and reports what it did.
func (h *Handler) importRules(c *gin.Context) {
	mode := c.PostForm("mode")
	if mode != "replace" && mode != "create" {
		mode = "skip"
	}
	rep := &views.ImportReport{Dry: c.PostForm("op") != "apply", Mode: mode}
	status := http.StatusOK
	content, err := readImport(c)
	var incoming []thingplus.Rule
	if err == nil {
		incoming, err = parseImport(content)
	}
	if err != nil {
		rep.Problem, status = fmt.Sprintf(text.T(c, "rules.io.bad"), err.Error()), http.StatusUnprocessableEntity
		h.renderImport(c, status, rep)
		return
	}
	rep.File = content
	ctx, token := c.Request.Context(), web.TokenOf(c)
	existing, err := h.rules.ListRules(ctx, token)
	if err != nil {
		web.Fail(c, err)
		return
	}
	env := h.env(c)
	for _, in := range incoming {
		in = env.unmaskRule(in)
		in.ID, in.User, in.Site, in.Service, in.Ctime, in.Mtime = "", "", "", "", 0, 0
		rep.Items = append(rep.Items, h.importOne(c, in, existing, mode, rep.Dry))
	}
	h.renderImport(c, status, rep)
}

// importOne decides (and, unless dry, does) what happens to one rule.
func (h *Handler) importOne(c *gin.Context, in thingplus.Rule, existing []thingplus.Rule, mode string, dry bool) views.ImportItem {
	it := views.ImportItem{Name: in.Name}
	if err := in.Validate(); err != nil {
		it.Outcome, it.Detail, it.Failed = text.T(c, "rules.io.out.failed"), err.Error(), true
		return it
	}
	var same *thingplus.Rule
	for i, ex := range existing {
		if rulehistory.Same(ex.Body(), in.Body()) {
			it.Outcome = text.T(c, "rules.io.out.skip")
			return it
		}
		if ex.Name == in.Name && same == nil {
			same = &existing[i]
		}
	}
	ctx, token := c.Request.Context(), web.TokenOf(c)
	switch {
	case same != nil && mode == "skip":
		it.Outcome = text.T(c, "rules.io.out.skipname")
	case same != nil && mode == "replace":
		if dry {
			it.Outcome = fmt.Sprintf(text.T(c, "rules.io.out.replace"), same.ID)
			break
		}
		in.ID = same.ID
		err := h.snapshot(c, rulehistory.Import, *same, "")
		if err == nil {
			_, err = h.rules.UpdateRule(ctx, token, in)
		}
		it.Outcome = fmt.Sprintf(text.T(c, "rules.io.out.replaced"), same.ID)
		if err != nil {
			it.Outcome, it.Detail, it.Failed = text.T(c, "rules.io.out.failed"), upstreamMessage(c, err), true
		}
	default:
		if dry {
			it.Outcome = text.T(c, "rules.io.out.create")
			break
		}
		created, err := h.rules.CreateRule(ctx, token, in)
		if err != nil {
			it.Outcome, it.Detail, it.Failed = text.T(c, "rules.io.out.failed"), upstreamMessage(c, err), true
			break
		}
		_ = h.snapshot(c, rulehistory.Create, created, "")
		it.Outcome = text.T(c, "rules.io.out.created")
		it.Detail = "id " + created.ID
	}
	return it
}

func (h *Handler) renderImport(c *gin.Context, status int, rep *views.ImportReport) {
	if web.IsFragment(c) {
		web.Component(c, status, views.ImportPanel(rep))
		return
	}
	vm := views.HistoryIndex{Import: rep}
	web.Render(c, status, web.Page{Title: text.T(c, "rules.io.import"), Active: "rules"}, views.HistoryIndexPage(vm))
}
