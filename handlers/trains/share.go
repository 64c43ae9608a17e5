package trains

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/apperr"
	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/trains"
	"github.com/thingplus/thingplus-webapp/views/text"
	vt "github.com/thingplus/thingplus-webapp/views/trains"
)

// The owner's panel: the train's push URL (its token, shown to the owner
// only), token rotation with a grace period, re-pointing Thing+ rules at the
// new URL, and sharing with other Thing+ accounts. Admins claim trains that
// have no owner.

// legacyWarnFor is how recent a push with the legacy shared key must be for
// the owner to be warned that rules still use it.
const legacyWarnFor = 24 * time.Hour

// ownerPanel fills the owner's part of tv and returns the train's token
// ("" when it cannot be read; the panel then says so).
func (h *Handler) ownerPanel(ctx context.Context, tv *vt.Train, loc *time.Location) string {
	tok, err := h.store.Token(ctx, tv.ID)
	if err != nil {
		h.cfg.Log.WarnContext(ctx, "trains: read token", "train", tv.ID, "err", err)
		return ""
	}
	tv.PushIN = h.pushURL(tok.Token, "{sensorId}", "IN")
	tv.PushOUT = h.pushURL(tok.Token, "{sensorId}", "OUT")
	tv.PushIN = strings.Replace(tv.PushIN, url.PathEscape("{sensorId}"), "{sensorId}", 1)
	tv.PushOUT = strings.Replace(tv.PushOUT, url.PathEscape("{sensorId}"), "{sensorId}", 1)
	if !tok.GraceUntil.IsZero() {
		tv.GraceUntil = zoned(tok.GraceUntil, loc, web.ListTimeLayout)
	}
	tv.LegacyInUse = h.legacy.since(tv.ID, h.cfg.Now().Add(-legacyWarnFor))
	shares, err := h.store.Shares(ctx, tv.ID)
	if err != nil {
		h.cfg.Log.WarnContext(ctx, "trains: read shares", "train", tv.ID, "err", err)
	}
	for _, s := range shares {
		tv.Shares = append(tv.Shares, vt.ShareRow{Login: s.LoginID, Role: s.Role.String()})
	}
	return tok.Token
}

// share is POST /trains/:id/share {login, role}.
func (h *Handler) share(c *gin.Context, id int64) (said, error) {
	role, err := trains.ParseShareRole(c.PostForm("role"))
	if err != nil {
		return said{}, err
	}
	login := strings.TrimSpace(c.PostForm("login"))
	if u, _ := web.UserOf(c); login == u.LoginID {
		return said{}, trains.Invalid(text.T(c, "trains.share.self"))
	}
	if err := h.store.ShareTrain(c.Request.Context(), id, login, role); err != nil {
		return said{}, err
	}
	return said{text: fmt.Sprintf(text.T(c, "trains.ok.shared"), login, text.T(c, "trains.role."+role.String()))}, nil
}

// unshare is POST /trains/:id/unshare {login}: that account's next request
// and its open live streams no longer see the train.
func (h *Handler) unshare(c *gin.Context, id int64) (said, error) {
	login := c.PostForm("login")
	if err := h.store.UnshareTrain(c.Request.Context(), id, login); err != nil {
		return said{}, err
	}
	return said{text: fmt.Sprintf(text.T(c, "trains.ok.unshared"), login)}, nil
}

// rotateToken is POST /trains/:id/token/rotate.
func (h *Handler) rotateToken(c *gin.Context, id int64) (said, error) {
	tok, err := h.store.RotateToken(c.Request.Context(), id)
	if err != nil {
		return said{}, err
	}
	loc := h.trainLocOf(c.Request.Context(), id)
	return said{text: fmt.Sprintf(text.T(c, "trains.ok.rotated"), zoned(tok.GraceUntil, loc, web.ListTimeLayout))}, nil
}

// repointURL returns the push URL with the train's current token for a URL
// that pushes one of sensors to this app with another key.
func (h *Handler) repointURL(token string, sensors map[string]bool) func(string) (string, bool) {
	prefix := h.cfg.PublicURL + "/api/trigger/"
	return func(old string) (string, bool) {
		rest, ok := strings.CutPrefix(old, prefix)
		if !ok {
			return "", false
		}
		path, _, _ := strings.Cut(rest, "?")
		sensor, dir, ok := strings.Cut(path, "/")
		if !ok || (dir != "IN" && dir != "OUT") {
			return "", false
		}
		if s, err := url.PathUnescape(sensor); err != nil || !sensors[s] {
			return "", false
		}
		u := h.pushURL(token, mustUnescape(sensor), dir)
		return u, u != old
	}
}

func mustUnescape(s string) string {
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// repoint is POST /trains/:id/rules/repoint: every Thing+ rule of the
// owner that pushes one of this train's doors here with an older key (an
// earlier token or the legacy shared key) gets the current URL.
func (h *Handler) repoint(c *gin.Context, id int64) (said, error) {
	if h.wirer == nil {
		return said{}, trains.Invalid(text.T(c, "trains.err.nowire"))
	}
	ctx := c.Request.Context()
	t, err := h.store.Train(ctx, id)
	if err != nil {
		return said{}, err
	}
	tok, err := h.store.Token(ctx, id)
	if err != nil {
		return said{}, err
	}
	sensors := map[string]bool{}
	for _, car := range t.Cars {
		for _, d := range car.Doors {
			sensors[d.SensorID] = true
		}
	}
	n, err := h.wirer.Repoint(ctx, web.TokenOf(c), h.repointURL(tok.Token, sensors), h.journal(c))
	if err != nil {
		if apperr.CodeOf(err) == apperr.Unauthorized {
			return said{}, err
		}
		h.cfg.Log.WarnContext(ctx, "trains: repoint rules", "train", id, "err", err)
		return said{}, trains.Invalid(fmt.Sprintf(text.T(c, "trains.err.repoint"), n))
	}
	return said{text: fmt.Sprintf(text.T(c, "trains.ok.repointed"), n)}, nil
}

// claim is POST /trains/:id/claim: an admin takes an unowned train.
func (h *Handler) claim(c *gin.Context, id int64) (said, error) {
	if err := h.store.ClaimTrain(c.Request.Context(), id, owner(c)); err != nil {
		return said{}, err
	}
	return said{text: text.T(c, "trains.ok.claimed")}, nil
}

// PushURLFor is the push URL the rules screen puts in a push-to-this-app
// action of account userID: with the token of the train holding the sensor
// when userID owns it, else with the legacy shared key (or no key, which
// Thing+ will be refused with until the sensor is on one of the account's
// trains). Another account's token never goes into a rule.
func (h *Handler) PushURLFor(ctx context.Context, userID, sensorID, dir string) string {
	owner, held, err := h.store.SensorOwner(ctx, sensorID)
	if err == nil && held && owner != "" && owner == userID {
		if train, err := h.store.TrainOfSensor(ctx, sensorID); err == nil {
			if tok, err := h.store.Token(ctx, train); err == nil {
				return h.pushURL(tok.Token, sensorID, dir)
			}
		}
	}
	return h.pushURL(h.cfg.WebhookKey, sensorID, dir)
}
