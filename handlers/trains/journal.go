package trains

import (
	"encoding/json"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/rulehistory"
	"github.com/thingplus/thingplus-webapp/thingplus"
)

// journal records the rules this request changes in the signed-in
// account's rules history, as the rules screen does, so "Wire this door"
// and "Re-point" can be looked at and undone there. nil without a history.
func (h *Handler) journal(c *gin.Context) Journal {
	if h.ruleLog == nil {
		return nil
	}
	p := principal(c)
	actor := p.LoginID
	if actor == "" {
		actor = p.UserID
	}
	return func(action string, r thingplus.Rule) error {
		if p.UserID == "" || r.ID == "" {
			return nil
		}
		body, err := json.Marshal(r)
		if err == nil {
			_, err = h.ruleLog.Record(c.Request.Context(), rulehistory.Version{Account: p.UserID, RuleID: r.ID,
				RuleName: r.Name, Action: action, Actor: actor, Body: body})
		}
		if err != nil {
			h.cfg.Log.ErrorContext(c.Request.Context(), "trains: rule snapshot failed", "rule", r.ID, "action", action, "err", err)
		}
		return err
	}
}
