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
	ctx := c.Request.Context()
	snap, err := h.store.SnapshotFor(ctx, principal(c))
	if err != nil {
		web.Fail(c, err)
		return
	}
	h.renderPage(c, http.StatusOK, h.listVM(ctx, principal(c), snap.Trains), h.version(snap.Seq))
}

// renderPage draws the whole page. version is the store version the list
// is at least as new as ("" when unknown): the stream skips its first
// snapshot when nothing changed since.
func (h *Handler) renderPage(c *gin.Context, status int, l vt.List, version string) {
	tab := randomID()
	// The shape only: each train's own token is in its owner's panel.
	template := func(dir string) string {
		return h.cfg.PublicURL + "/api/trigger/{sensorId}/" + dir + "?key={" + text.T(c, "trains.push.token") + "}"
	}
	stream := "/trains/stream?tab=" + tab
	if version != "" {
		stream += "&v=" + url.QueryEscape(version) + "&sh=" + url.QueryEscape(l.Structure)
	}
	p := vt.Page{
		List: l, PushIN: template("IN"), PushOUT: template("OUT"),
		StreamURL: stream, Tab: tab,
	}
	if h.sensors != nil && web.TokenOf(c) != "" {
		p.SensorsURL = "/trains/sensors"
	}
	web.Render(c, status, h.pageMeta(c), vt.PageBody(p))
}

// sensorList is GET /trains/sensors: the door sensors offered by the door
// form, loaded after the page so that /trains never waits on Thing+. When
// Thing+ is slow or down the list is empty and the form still takes a
// typed id.
func (h *Handler) sensorList(c *gin.Context) {
	web.Component(c, http.StatusOK, vt.SensorList(h.sensorOptions(c), ""))
}

// sensorOptions asks Thing+ for the user's door sensors, within the
// request's budget.
func (h *Handler) sensorOptions(c *gin.Context) []vt.SensorOption {
	if h.sensors == nil || web.TokenOf(c) == "" {
		return nil
	}
	ctx := c.Request.Context()
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
	ctx := c.Request.Context()
	ts, err := h.store.TrainsFor(ctx, principal(c))
	if err != nil {
		web.Fail(c, err)
		return
	}
	l := h.listVM(ctx, principal(c), ts)
	l.Form, l.Notice = f, n
	l.Open = f.ID
	if l.Open == "" {
		l.Open = c.GetString(openKey)
	}
	if web.IsFragment(c) {
		// The form carries its tab id: that tab's stream need not redraw it.
		h.bc.markShown(c.PostForm("tab"), structureHash(principal(c), ts))
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
	h.said(c, form, said{text: msg})
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
	case errors.Is(err, trains.ErrForbidden):
		web.Fail(c, err) // 403 with the reason (a viewer's stale page)
	case errors.Is(err, trains.ErrInvalid):
		f.Error = trains.MessageOf(err)
		h.done(c, http.StatusUnprocessableEntity, f, vt.Notice{})
	case errors.Is(err, trains.ErrConflict):
		f.Error = text.T(c, "trains.err.taken")
		h.done(c, http.StatusConflict, f, vt.Notice{})
	case errors.Is(err, trains.ErrNotFound):
		h.done(c, http.StatusConflict, vt.Form{}, vt.Notice{Kind: "bad", Text: text.T(c, "trains.err.notfound")})
	case errors.Is(err, trains.ErrUnknownSensor):
		h.done(c, http.StatusConflict, vt.Form{}, vt.Notice{Kind: "bad", Text: text.T(c, "trains.err.notassigned")})
	default:
		web.Fail(c, err)
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
		return 0, trains.Invalid(text.T(c, "trains.err.number"))
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

// said is what a form did, for its confirmation, and where to show it:
// next to the form (at ""), or next to another anchor when the form is gone
// (at "-" means above the list).
type said struct{ text, at string }

func say(format string, args ...any) said { return said{text: fmt.Sprintf(format, args...)} }

// act builds a management handler for /…/:id routes: run fn with the id,
// then answer with the list and fn's confirmation next to the form, or show
// the error at the form formPrefix+id.
//
// Before fn runs, the account must have role on the train the id leads to
// (by sc): 404 for another account's train, 403 for a viewer's change.
func (h *Handler) act(formPrefix string, sc scope, role trains.Role, fn func(c *gin.Context, id int64) (said, error)) gin.HandlerFunc {
	return h.guard(sc, role, func(c *gin.Context) {
		id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
		form := formPrefix + c.Param("id")
		// A form that moves (up, down) keeps its id prefix per direction.
		if p := c.PostForm("form"); p == "up-"+c.Param("id") || p == "down-"+c.Param("id") {
			form = p
		}
		s, err := fn(c, id)
		if err != nil {
			h.failForm(c, form, err)
			return
		}
		h.said(c, form, s)
	})
}

// said answers a form that worked with its confirmation in place.
func (h *Handler) said(c *gin.Context, form string, s said) {
	at := form
	switch s.at {
	case "":
	case "-":
		at = ""
	default:
		at = s.at
	}
	c.Set(openKey, form)
	h.done(c, http.StatusOK, vt.Form{}, vt.Notice{Kind: "ok", Text: s.text, At: at})
}

// carLabel names a car by its position ("Car 2"), for confirmations.
func (h *Handler) carOf(c *gin.Context, id int64) trains.Car {
	car, _ := h.store.Car(c.Request.Context(), id)
	return car
}

// ---- trains ----

func (h *Handler) createTrain(c *gin.Context) {
	t, err := h.store.CreateTrain(c.Request.Context(), trains.NewTrain{Name: c.PostForm("name"), Running: formBool(c, "running"), Owner: owner(c)})
	if err != nil {
		h.failForm(c, "create-train", err)
		return
	}
	h.said(c, "create-train", say(text.T(c, "trains.ok.train.created"), t.Name))
}

func (h *Handler) renameTrain(c *gin.Context, id int64) (said, error) {
	name := c.PostForm("name")
	t, err := h.store.UpdateTrain(c.Request.Context(), id, trains.TrainPatch{Name: &name})
	return say(text.T(c, "trains.ok.renamed"), t.Name), err
}

func (h *Handler) setRunning(c *gin.Context, id int64) (said, error) {
	run := formBool(c, "running")
	t, err := h.store.UpdateTrain(c.Request.Context(), id, trains.TrainPatch{Running: &run})
	if run {
		return say(text.T(c, "trains.ok.started"), t.Name), err
	}
	return say(text.T(c, "trains.ok.stopped"), t.Name), err
}

func (h *Handler) resetTrain(c *gin.Context, id int64) (said, error) {
	err := h.store.ResetTrain(c.Request.Context(), id, withUser(c, c.PostForm("reason")))
	t, _ := h.store.Train(c.Request.Context(), id)
	return say(text.T(c, "trains.ok.train.reset"), t.Name), err
}

func (h *Handler) deleteTrain(c *gin.Context, id int64) (said, error) {
	t, _ := h.store.Train(c.Request.Context(), id)
	err := h.store.DeleteTrain(c.Request.Context(), id)
	s := say(text.T(c, "trains.ok.train.deleted"), t.Name)
	s.at = "-" // the train's section is gone
	return s, err
}

func (h *Handler) addCar(c *gin.Context, id int64) (said, error) {
	n, err := formInt(c, "capacity")
	if err != nil {
		return said{}, err
	}
	car, err := h.store.AddCar(c.Request.Context(), id, n)
	return say(text.T(c, "trains.ok.car.added"), car.Position, car.Capacity), err
}

// ---- cars ----

func (h *Handler) setCapacity(c *gin.Context, id int64) (said, error) {
	n, err := formInt(c, "capacity")
	if err != nil {
		return said{}, err
	}
	err = h.store.SetCapacity(c.Request.Context(), id, n)
	return say(text.T(c, "trains.ok.car.capacity"), h.carOf(c, id).Position, text.N(c, "trains.n.passengers", n)), err
}

func (h *Handler) correct(c *gin.Context, id int64) (said, error) {
	n, err := formInt(c, "count")
	if err != nil {
		return said{}, fieldErr{"count", err}
	}
	reason := strings.TrimSpace(c.PostForm("reason"))
	if reason == "" {
		return said{}, trains.Invalid(text.T(c, "trains.err.reason"))
	}
	err = h.store.CorrectCount(c.Request.Context(), id, n, withUser(c, reason))
	if errors.Is(err, trains.ErrInvalid) && strings.HasPrefix(trains.MessageOf(err), "count") {
		return said{}, fieldErr{"count", err}
	}
	return say(text.T(c, "trains.ok.car.corrected"), h.carOf(c, id).Position, text.N(c, "trains.n.passengers", n), reason), err
}

func (h *Handler) resetCar(c *gin.Context, id int64) (said, error) {
	err := h.store.ResetCar(c.Request.Context(), id, withUser(c, c.PostForm("reason")))
	return say(text.T(c, "trains.ok.car.reset"), h.carOf(c, id).Position), err
}

func (h *Handler) reorder(c *gin.Context, id int64) (said, error) {
	n, err := formInt(c, "position")
	if err != nil {
		return said{}, err
	}
	err = h.store.ReorderCar(c.Request.Context(), id, n)
	// The up or down control may be gone (first or last car): confirm at the car.
	return said{text: fmt.Sprintf(text.T(c, "trains.ok.car.moved"), h.carOf(c, id).Position), at: "car-" + strconv.FormatInt(id, 10)}, err
}

func (h *Handler) moveCar(c *gin.Context, id int64) (said, error) {
	to, err := strconv.ParseInt(c.PostForm("trainId"), 10, 64)
	if err != nil {
		return said{}, trains.Invalid("choose a train")
	}
	// The destination must be the account's to change, too.
	if err := h.need(c, to, trains.RoleEditor); err != nil {
		return said{}, err
	}
	if err := h.store.MoveCar(c.Request.Context(), id, to, 0); err != nil {
		return said{}, err
	}
	t, _ := h.store.Train(c.Request.Context(), to)
	return said{text: fmt.Sprintf(text.T(c, "trains.ok.car.totrain"), t.Name), at: "train-" + strconv.FormatInt(to, 10)}, nil
}

func (h *Handler) removeCar(c *gin.Context, id int64) (said, error) {
	car := h.carOf(c, id)
	if err := h.store.RemoveCar(c.Request.Context(), id); err != nil {
		return said{}, err
	}
	return said{text: fmt.Sprintf(text.T(c, "trains.ok.car.removed"), car.Position), at: "train-" + strconv.FormatInt(car.TrainID, 10)}, nil
}

// ---- doors ----

func (h *Handler) assignDoor(c *gin.Context, id int64) (said, error) {
	d := trains.Door{SensorID: strings.TrimSpace(c.PostForm("sensorId")), Label: c.PostForm("label"), Inverted: formBool(c, "inverted")}
	if err := trains.ValidSensorID(d.SensorID); err != nil {
		return said{}, err
	}
	if err := h.checkSensor(c, d.SensorID); err != nil {
		return said{}, err
	}
	err := h.store.AssignDoor(c.Request.Context(), id, d)
	return say(text.T(c, "trains.ok.door.added"), d.SensorID, h.carOf(c, id).Position), err
}

// checkSensor refuses a sensor the account's Thing+ token cannot see:
// nothing is saved or wired for a made-up id.
func (h *Handler) checkSensor(c *gin.Context, sensor string) error {
	if h.checker == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 5*time.Second)
	defer cancel()
	ok, err := h.checker.HasSensor(ctx, web.TokenOf(c), sensor)
	if err != nil {
		return err
	}
	if !ok {
		return trains.Invalid(fmt.Sprintf(text.T(c, "trains.err.nosensor"), sensor))
	}
	return nil
}

func (h *Handler) unassignDoor(c *gin.Context) {
	sensor := c.PostForm("sensorId")
	if err := h.needSensor(c, sensor, trains.RoleEditor); err != nil {
		web.Fail(c, err)
		return
	}
	_, car, _ := h.store.DoorOf(c.Request.Context(), sensor)
	if err := h.store.UnassignDoor(c.Request.Context(), sensor); err != nil {
		h.failForm(c, "unassign-"+sensor, err)
		return
	}
	form := "door-" + strconv.FormatInt(car, 10)
	h.said(c, form, say(text.T(c, "trains.ok.door.removed"), sensor, h.carOf(c, car).Position))
}

// wiredText says what wiring a door did.
func wiredText(ctx context.Context, sensor string, res WireResult) string {
	switch {
	case len(res.Created) == 0:
		return fmt.Sprintf(text.T(ctx, "trains.ok.wired.already"), sensor)
	case len(res.Existing) > 0:
		return fmt.Sprintf(text.T(ctx, "trains.ok.wired.partly"), res.Created[0], sensor, res.Existing[0])
	}
	return fmt.Sprintf(text.T(ctx, "trains.ok.wired.both"), sensor)
}

// wireDoor creates the door's IN and OUT dataPush rules in Thing+.
func (h *Handler) wireDoor(c *gin.Context) {
	sensor := c.PostForm("sensorId")
	form := "wire-" + sensor
	if h.wirer == nil {
		h.done(c, http.StatusUnprocessableEntity, vt.Form{ID: form, Error: text.T(c, "trains.err.nowire")}, vt.Notice{})
		return
	}
	// Only the owner wires: the rules carry the train's token.
	if err := h.needSensor(c, sensor, trains.RoleOwner); err != nil {
		web.Fail(c, err)
		return
	}
	train, err := h.store.TrainOfSensor(c.Request.Context(), sensor)
	if err != nil {
		h.failForm(c, form, err)
		return
	}
	tok, err := h.store.Token(c.Request.Context(), train)
	if err != nil {
		h.failForm(c, form, err)
		return
	}
	_, tz := userOf(c)
	// Rules of this door that push here with an older key (a rotated token
	// or the legacy key) get the current URL first: a second rule would
	// count every passenger twice while the old key still works.
	_, err = h.wirer.Repoint(c.Request.Context(), web.TokenOf(c), h.repointURL(tok.Token, map[string]bool{sensor: true}), h.journal(c))
	if err != nil && apperr.CodeOf(err) == apperr.Unauthorized {
		web.Fail(c, err)
		return
	}
	res, err := h.wirer.WireDoor(c.Request.Context(), web.TokenOf(c), tz, sensor, h.pushURL(tok.Token, sensor, "IN"), h.pushURL(tok.Token, sensor, "OUT"), h.journal(c))
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
		h.done(c, http.StatusServiceUnavailable, vt.Form{ID: form, Error: web.InPlace(c, err, "err.unavailable")}, vt.Notice{})
	}
}
