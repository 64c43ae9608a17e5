package trains

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/apperr"
	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/trains"
	"github.com/thingplus/thingplus-webapp/views/text"
	vt "github.com/thingplus/thingplus-webapp/views/trains"
)

func (h *Handler) pageMeta(ctx context.Context) web.Page {
	return web.Page{Title: text.T(ctx, "trains.title"), Active: "trains", SSE: true}
}

// page is GET /trains.
func (h *Handler) page(c *gin.Context) {
	snap, err := h.store.Snapshot(c.Request.Context())
	if err != nil {
		web.Fail(c, appErr(err))
		return
	}
	h.renderPage(c, http.StatusOK, h.listVM(snap.Trains), h.version(snap.Seq))
}

// renderPage draws the whole page. version is the store version the list
// is at least as new as ("" when unknown): the stream skips its first
// snapshot when nothing changed since.
func (h *Handler) renderPage(c *gin.Context, status int, l vt.List, version string) {
	tab := randomID()
	template := func(dir string) string {
		return h.cfg.PublicURL + "/api/trigger/{sensorId}/" + dir + "?key=" + h.cfg.WebhookKey
	}
	stream := "/trains/stream?tab=" + tab
	if version != "" {
		stream += "&v=" + url.QueryEscape(version)
	}
	p := vt.Page{
		List: l, PushIN: template("IN"), PushOUT: template("OUT"),
		StreamURL: stream, Tab: tab,
		Sensors: h.sensorOptions(c),
	}
	web.Render(c, status, h.pageMeta(c), vt.PageBody(p))
}

// sensorOptions asks Thing+ for the user's door sensors; the form still
// takes a typed id when Thing+ is slow or down.
func (h *Handler) sensorOptions(c *gin.Context) []vt.SensorOption {
	if h.sensors == nil || web.TokenOf(c) == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	list, err := h.sensors.DoorSensors(ctx, web.TokenOf(c))
	if err != nil {
		h.cfg.Log.WarnContext(ctx, "trains: list door sensors", "err", err)
		return nil
	}
	out := make([]vt.SensorOption, 0, len(list))
	for _, s := range list {
		out = append(out, vt.SensorOption{ID: s.ID, Name: s.Name})
	}
	return out
}

// list is GET /trains/list: the list fragment (a manual refresh).
func (h *Handler) list(c *gin.Context) {
	h.done(c, http.StatusOK, vt.Form{}, vt.Notice{})
}

// done answers a management form: the list fragment for htmx (with the
// failed form's input and error, or a notice), a redirect back to /trains
// after a plain POST that worked, the whole page after one that did not.
func (h *Handler) done(c *gin.Context, status int, f vt.Form, n vt.Notice) {
	if status < 300 && !web.IsFragment(c) && c.Request.Method == http.MethodPost {
		web.Redirect(c, "/trains")
		return
	}
	ts, err := h.store.Trains(c.Request.Context())
	if err != nil {
		web.Fail(c, appErr(err))
		return
	}
	l := h.listVM(ts)
	l.Form, l.Notice = f, n
	l.Open = f.ID
	if l.Open == "" {
		l.Open = c.GetString(openKey)
	}
	if web.IsFragment(c) {
		// The form carries its tab id: that tab's stream need not redraw it.
		h.bc.markShown(c.PostForm("tab"), structureHash(ts))
		c.Header("Vary", web.HeaderRequest)
		web.Component(c, status, vt.ListBody(l))
		return
	}
	h.renderPage(c, status, l, "")
}

// ok answers a form that worked; the panel holding form (its id) stays open.
func (h *Handler) ok(c *gin.Context, form, msgKey string) {
	h.okText(c, form, text.T(c, msgKey))
}

func (h *Handler) okText(c *gin.Context, form, msg string) {
	c.Set(openKey, form)
	h.done(c, http.StatusOK, vt.Form{}, vt.Notice{Kind: "ok", Text: msg})
}

// openKey carries the form whose panel stays open after a success.
const openKey = "trains.open"

// fieldErr is an error about one field of a form (not its main one).
type fieldErr struct {
	field string
	err   error
}

func (e fieldErr) Error() string { return e.err.Error() }
func (e fieldErr) Unwrap() error { return e.err }

// failForm shows err next to the form it came from (422 invalid, 409
// conflict or gone), keeping the user's input; anything else goes to the
// shared error convention.
func (h *Handler) failForm(c *gin.Context, formID string, err error) {
	vals := map[string]string{}
	for k, v := range c.Request.PostForm {
		if len(v) > 0 {
			vals[k] = v[0]
		}
	}
	f := vt.Form{ID: formID, Values: vals}
	var fe fieldErr
	if errors.As(err, &fe) {
		f.Field = fe.field
	}
	switch {
	case errors.Is(err, trains.ErrInvalid):
		f.Error = message(err)
		h.done(c, http.StatusUnprocessableEntity, f, vt.Notice{})
	case errors.Is(err, trains.ErrConflict):
		f.Error = text.T(c, "trains.err.taken")
		h.done(c, http.StatusConflict, f, vt.Notice{})
	case errors.Is(err, trains.ErrNotFound):
		h.done(c, http.StatusConflict, vt.Form{}, vt.Notice{Kind: "bad", Text: text.T(c, "trains.err.notfound")})
	case errors.Is(err, trains.ErrUnknownSensor):
		h.done(c, http.StatusConflict, vt.Form{}, vt.Notice{Kind: "bad", Text: text.T(c, "trains.err.notassigned")})
	default:
		web.Fail(c, appErr(err))
	}
}

// pathID reads :id; a malformed id is a 404.
func pathID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		web.Fail(c, apperr.E(apperr.NotFound, "no such id", err))
		return 0, false
	}
	return id, true
}

func formInt(c *gin.Context, field string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(c.PostForm(field)))
	if err != nil {
		return 0, fmt.Errorf("%w: %s", trains.ErrInvalid, text.T(c, "trains.err.number"))
	}
	return n, nil
}

func formBool(c *gin.Context, field string) bool {
	switch strings.ToLower(c.PostForm(field)) {
	case "true", "on", "1", "yes":
		return true
	}
	return false
}

// withUser appends who did it to a reason kept in the log.
func withUser(c *gin.Context, reason string) string {
	name, _ := userOf(c)
	if name == "" {
		return reason
	}
	if reason == "" {
		return "by " + name
	}
	return reason + " (by " + name + ")"
}

// act builds a management handler for /…/:id routes: run fn with the id,
// then answer with the list, or show the error at the form formPrefix+id.
func (h *Handler) act(formPrefix string, fn func(c *gin.Context, id int64) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := pathID(c)
		if !ok {
			return
		}
		if err := fn(c, id); err != nil {
			h.failForm(c, formPrefix+c.Param("id"), err)
			return
		}
		h.ok(c, formPrefix+c.Param("id"), "trains.ok.saved")
	}
}

// ---- trains ----

func (h *Handler) createTrain(c *gin.Context) {
	_, err := h.store.CreateTrain(c.Request.Context(), trains.NewTrain{Name: c.PostForm("name"), Running: formBool(c, "running")})
	if err != nil {
		h.failForm(c, "create-train", err)
		return
	}
	h.ok(c, "create-train", "trains.ok.created")
}

func (h *Handler) renameTrain(c *gin.Context, id int64) error {
	name := c.PostForm("name")
	_, err := h.store.UpdateTrain(c.Request.Context(), id, trains.TrainPatch{Name: &name})
	return err
}

func (h *Handler) setRunning(c *gin.Context, id int64) error {
	run := formBool(c, "running")
	_, err := h.store.UpdateTrain(c.Request.Context(), id, trains.TrainPatch{Running: &run})
	return err
}

func (h *Handler) resetTrain(c *gin.Context, id int64) error {
	return h.store.ResetTrain(c.Request.Context(), id, withUser(c, c.PostForm("reason")))
}

func (h *Handler) deleteTrain(c *gin.Context, id int64) error {
	return h.store.DeleteTrain(c.Request.Context(), id)
}

func (h *Handler) addCar(c *gin.Context, id int64) error {
	n, err := formInt(c, "capacity")
	if err != nil {
		return err
	}
	_, err = h.store.AddCar(c.Request.Context(), id, n)
	return err
}

// ---- cars ----

func (h *Handler) setCapacity(c *gin.Context, id int64) error {
	n, err := formInt(c, "capacity")
	if err != nil {
		return err
	}
	return h.store.SetCapacity(c.Request.Context(), id, n)
}

func (h *Handler) correct(c *gin.Context, id int64) error {
	n, err := formInt(c, "count")
	if err != nil {
		return fieldErr{"count", err}
	}
	reason := strings.TrimSpace(c.PostForm("reason"))
	if reason == "" {
		return fmt.Errorf("%w: a reason is required", trains.ErrInvalid)
	}
	err = h.store.CorrectCount(c.Request.Context(), id, n, withUser(c, reason))
	if errors.Is(err, trains.ErrInvalid) && strings.HasPrefix(message(err), "count") {
		return fieldErr{"count", err}
	}
	return err
}

func (h *Handler) resetCar(c *gin.Context, id int64) error {
	return h.store.ResetCar(c.Request.Context(), id, withUser(c, c.PostForm("reason")))
}

func (h *Handler) reorder(c *gin.Context, id int64) error {
	n, err := formInt(c, "position")
	if err != nil {
		return err
	}
	return h.store.ReorderCar(c.Request.Context(), id, n)
}

func (h *Handler) moveCar(c *gin.Context, id int64) error {
	to, err := strconv.ParseInt(c.PostForm("trainId"), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: choose a train", trains.ErrInvalid)
	}
	return h.store.MoveCar(c.Request.Context(), id, to, 0)
}

func (h *Handler) removeCar(c *gin.Context, id int64) error {
	return h.store.RemoveCar(c.Request.Context(), id)
}

// ---- doors ----

func (h *Handler) assignDoor(c *gin.Context, id int64) error {
	d := trains.Door{SensorID: strings.TrimSpace(c.PostForm("sensorId")), Label: c.PostForm("label"), Inverted: formBool(c, "inverted")}
	return h.store.AssignDoor(c.Request.Context(), id, d)
}

func (h *Handler) unassignDoor(c *gin.Context) {
	sensor := c.PostForm("sensorId")
	_, car, _ := h.store.DoorOf(c.Request.Context(), sensor)
	if err := h.store.UnassignDoor(c.Request.Context(), sensor); err != nil {
		h.failForm(c, "unassign-"+sensor, err)
		return
	}
	h.ok(c, "door-"+strconv.FormatInt(car, 10), "trains.ok.saved")
}

// wiredText says what wiring a door did.
func wiredText(ctx context.Context, sensor string, res WireResult) string {
	switch {
	case len(res.Created) == 0:
		return fmt.Sprintf(text.T(ctx, "trains.ok.wired.already"), sensor)
	case len(res.Existing) > 0:
		return fmt.Sprintf(text.T(ctx, "trains.ok.wired.partly"), res.Created[0], sensor, res.Existing[0])
	}
	return fmt.Sprintf(text.T(ctx, "trains.ok.wired"), sensor)
}

// wireDoor creates the door's IN and OUT dataPush rules in Thing+.
func (h *Handler) wireDoor(c *gin.Context) {
	sensor := c.PostForm("sensorId")
	form := "wire-" + sensor
	if h.wirer == nil {
		h.done(c, http.StatusUnprocessableEntity, vt.Form{ID: form, Error: text.T(c, "trains.err.nowire")}, vt.Notice{})
		return
	}
	if _, _, err := h.store.DoorOf(c.Request.Context(), sensor); err != nil {
		h.failForm(c, form, err)
		return
	}
	_, tz := userOf(c)
	res, err := h.wirer.WireDoor(c.Request.Context(), web.TokenOf(c), tz, sensor, h.pushURL(sensor, "IN"), h.pushURL(sensor, "OUT"))
	switch code := apperr.CodeOf(err); {
	case err == nil:
		h.okText(c, form, wiredText(c, sensor, res))
	case code == apperr.Unauthorized:
		web.Fail(c, err)
	case code == apperr.Invalid || code == apperr.Conflict || code == apperr.Forbidden || code == apperr.NotFound:
		h.cfg.Log.WarnContext(c.Request.Context(), "trains: wire door", "err", err)
		h.done(c, http.StatusUnprocessableEntity, vt.Form{ID: form, Error: web.MessageOf(c, err)}, vt.Notice{})
	default:
		h.cfg.Log.ErrorContext(c.Request.Context(), "trains: wire door", "err", err)
		h.done(c, http.StatusServiceUnavailable, vt.Form{ID: form, Error: text.T(c, "err.unavailable")}, vt.Notice{})
	}
}
