package trains

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/trains"
)

// The original app's JSON API (§7.3), with its bugs fixed: every route
// answers, nothing is lost on a failed move, no store internals leak.
// Reads need a signed-in account with access to the train, or that train's
// push token (?key= or X-Webhook-Key); writes need a signed-in owner or
// editor (CSRF-checked like every form). Bad input and conflicts are 400
// with {"error": "..."} as in the original; 401 without a session (or
// token, for reads); 404 for a train the caller may not see (or none);
// 403 for a change a viewer may not make.

type apiTrain struct {
	ID        int64   `json:"_id"`
	Name      string  `json:"name"`
	Cars      []int64 `json:"cars"`
	IsRunning bool    `json:"isRunning"`
}

type apiTrainCounts struct {
	apiTrain
	Counts []int `json:"counts"`
}

type apiCar struct {
	ID       int64    `json:"_id"`
	Sensors  []string `json:"sensors"`
	Count    int      `json:"count"`
	Capacity int      `json:"capacity"`
	TrainID  int64    `json:"trainId"`
}

func toAPITrain(t trains.Train) apiTrain {
	a := apiTrain{ID: t.ID, Name: t.Name, IsRunning: t.Running, Cars: make([]int64, 0, len(t.Cars))}
	for _, c := range t.Cars {
		a.Cars = append(a.Cars, c.ID)
	}
	return a
}

func toAPICar(c trains.Car) apiCar {
	a := apiCar{ID: c.ID, Count: c.Count, Capacity: c.Capacity, TrainID: c.TrainID, Sensors: make([]string, 0, len(c.Doors))}
	for _, d := range c.Doors {
		a.Sensors = append(a.Sensors, d.SensorID)
	}
	return a
}

func apiError(c *gin.Context, status int, msg string) {
	c.JSON(status, gin.H{"error": msg})
}

// apiFail maps a store error: access refusals are 404 and 403, bad input
// and conflicts 400 like the original; the rest is logged and 500.
func (h *Handler) apiFail(c *gin.Context, err error) {
	switch {
	case errors.Is(err, errNoAccess), errors.Is(err, trains.ErrNotFound):
		apiError(c, http.StatusNotFound, "not found")
	case errors.Is(err, trains.ErrForbidden):
		apiError(c, http.StatusForbidden, trains.MessageOf(err))
	case errors.Is(err, trains.ErrInvalid), errors.Is(err, trains.ErrConflict), errors.Is(err, trains.ErrUnknownSensor):
		apiError(c, http.StatusBadRequest, trains.MessageOf(err))
	default:
		h.cfg.Log.ErrorContext(c.Request.Context(), "trains api", "err", err, "path", c.FullPath())
		apiError(c, http.StatusInternalServerError, "internal error")
	}
}

// errNoAccess: the caller may not see the train (answered as not found).
var errNoAccess = &trains.Error{Kind: trains.ErrNotFound, Msg: "not found"}

// apiSignedIn lets through signed-in accounts only (writes).
func (h *Handler) apiSignedIn(c *gin.Context) {
	if _, ok := web.UserOf(c); ok {
		c.Next()
		return
	}
	apiError(c, http.StatusUnauthorized, "sign in to change trains")
	c.Abort()
}

// apiReader is who reads: a signed-in account, or the train of a push
// token (tokenTrain != 0). ok is false (and 401 sent) for neither.
func (h *Handler) apiReader(c *gin.Context) (tokenTrain int64, ok bool) {
	if _, signed := web.UserOf(c); signed {
		return 0, true
	}
	if k := pushKey(c); k != "" {
		if t, found := h.store.TokenTrain(k); found {
			return t, true
		}
	}
	apiError(c, http.StatusUnauthorized, "sign in or pass this train's token")
	return 0, false
}

// apiCanRead checks that the reader may see train.
func (h *Handler) apiCanRead(c *gin.Context, tokenTrain, train int64) error {
	if tokenTrain != 0 {
		if tokenTrain != train {
			return errNoAccess
		}
		return nil
	}
	return h.need(c, train, trains.RoleViewer)
}

// apiBody reads a JSON or urlencoded body (at most MaxBody).
func apiBody(c *gin.Context) (map[string]string, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			apiError(c, http.StatusRequestEntityTooLarge, "body over 64 KiB")
		} else {
			apiError(c, http.StatusBadRequest, "could not read body")
		}
		return nil, false
	}
	f, err := bodyFields(c.GetHeader("Content-Type"), body)
	if err != nil {
		apiError(c, http.StatusBadRequest, trains.MessageOf(err))
		return nil, false
	}
	return f, true
}

// apiBodyID reads the body and the positive integer in its field.
func apiBodyID(c *gin.Context, field string) (map[string]string, int64, bool) {
	f, ok := apiBody(c)
	if !ok {
		return nil, 0, false
	}
	id, ok := parseID(c, f[field], field)
	return f, id, ok
}

func parseID(c *gin.Context, s, what string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		apiError(c, http.StatusBadRequest, what+" must be a positive integer")
		return 0, false
	}
	return id, true
}

func parseBool(c *gin.Context, s, what string) (bool, bool) {
	b, err := strconv.ParseBool(s)
	if err != nil {
		apiError(c, http.StatusBadRequest, what+` must be "true" or "false"`)
		return false, false
	}
	return b, true
}

// GET /api/trains → {"data": [train…]}
func (h *Handler) apiTrains(c *gin.Context) {
	tt, ok := h.apiReader(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	var ts []trains.Train
	var err error
	if tt != 0 {
		var t trains.Train
		if t, err = h.store.Train(ctx, tt); err == nil {
			ts = []trains.Train{t}
		}
	} else {
		ts, err = h.store.TrainsFor(ctx, principal(c))
	}
	if err != nil {
		h.apiFail(c, err)
		return
	}
	out := make([]apiTrain, 0, len(ts))
	for _, t := range ts {
		out = append(out, toAPITrain(t))
	}
	c.JSON(http.StatusOK, gin.H{"data": out})
}

// GET /api/train/:id → [train with counts in car order]; 404 when none
// or not the caller's to see.
func (h *Handler) apiTrain(c *gin.Context) {
	tt, ok := h.apiReader(c)
	if !ok {
		return
	}
	id, ok := parseID(c, c.Param("id"), "trainId")
	if !ok {
		return
	}
	if err := h.apiCanRead(c, tt, id); err != nil {
		h.apiFail(c, err)
		return
	}
	t, err := h.store.Train(c.Request.Context(), id)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	a := apiTrainCounts{apiTrain: toAPITrain(t), Counts: make([]int, 0, len(t.Cars))}
	for _, car := range t.Cars {
		a.Counts = append(a.Counts, car.Count)
	}
	c.JSON(http.StatusOK, []apiTrainCounts{a})
}

// GET /api/cars/:id → [car]; 404 when none or not the caller's to see.
func (h *Handler) apiCar(c *gin.Context) {
	car, ok := h.apiReadCar(c, "id")
	if !ok {
		return
	}
	c.JSON(http.StatusOK, []apiCar{toAPICar(car)})
}

// apiReadCar reads the car named by path parameter param, if the caller
// may see its train.
func (h *Handler) apiReadCar(c *gin.Context, param string) (trains.Car, bool) {
	tt, ok := h.apiReader(c)
	if !ok {
		return trains.Car{}, false
	}
	id, ok := parseID(c, c.Param(param), "carId")
	if !ok {
		return trains.Car{}, false
	}
	car, err := h.store.Car(c.Request.Context(), id)
	if err == nil {
		err = h.apiCanRead(c, tt, car.TrainID)
	}
	if err != nil {
		h.apiFail(c, err)
		return trains.Car{}, false
	}
	return car, true
}

// GET /api/sensors/:carId → ["sensor id", …]; 404 for an unknown car.
func (h *Handler) apiSensors(c *gin.Context) {
	car, ok := h.apiReadCar(c, "carId")
	if !ok {
		return
	}
	c.JSON(http.StatusOK, toAPICar(car).Sensors)
}

// PUT /api/sensor {sensorId, carId}: add a sensor that no car holds.
func (h *Handler) apiAddSensor(c *gin.Context) {
	f, car, ok := apiBodyID(c, "carId")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if err := h.needCar(c, car, trains.RoleEditor); err != nil {
		h.apiFail(c, err)
		return
	}
	if _, _, err := h.store.DoorOf(ctx, f["sensorId"]); err == nil {
		apiError(c, http.StatusBadRequest, "sensor is already on a car")
		return
	}
	if err := trains.ValidSensorID(f["sensorId"]); err != nil {
		h.apiFail(c, err)
		return
	}
	if err := h.checkSensor(c, f["sensorId"]); err != nil {
		h.apiFail(c, err)
		return
	}
	if err := h.store.AssignDoor(ctx, car, trains.Door{SensorID: f["sensorId"], Label: f["label"]}); err != nil {
		h.apiFail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// POST /api/sensor {sensorId, carId}: move a sensor to a car (the car is
// checked first, so a bad carId loses nothing).
func (h *Handler) apiMoveSensor(c *gin.Context) {
	f, car, ok := apiBodyID(c, "carId")
	if !ok {
		return
	}
	// Editor of the target car, and of the car holding the sensor now (or,
	// for a sensor no car holds, it must be in the caller's Thing+).
	err := h.needCar(c, car, trains.RoleEditor)
	if err == nil {
		if err = h.needSensor(c, f["sensorId"], trains.RoleEditor); errors.Is(err, trains.ErrNotFound) {
			if _, e := h.store.TrainOfSensor(c.Request.Context(), f["sensorId"]); errors.Is(e, trains.ErrUnknownSensor) {
				if err = trains.ValidSensorID(f["sensorId"]); err == nil {
					err = h.checkSensor(c, f["sensorId"])
				}
			}
		}
	}
	if err != nil {
		h.apiFail(c, err)
		return
	}
	if err := h.store.MoveDoor(c.Request.Context(), f["sensorId"], car); err != nil {
		h.apiFail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// DELETE /api/sensor {sensorId}.
func (h *Handler) apiDeleteSensor(c *gin.Context) {
	f, ok := apiBody(c)
	if !ok {
		return
	}
	if err := h.needSensor(c, f["sensorId"], trains.RoleEditor); err != nil {
		h.apiFail(c, err)
		return
	}
	if err := h.store.UnassignDoor(c.Request.Context(), f["sensorId"]); err != nil {
		h.apiFail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// POST /api/train {trainId, name?, isRunning?}: update.
func (h *Handler) apiUpdateTrain(c *gin.Context) {
	f, id, ok := apiBodyID(c, "trainId")
	if !ok {
		return
	}
	var p trains.TrainPatch
	need := trains.RoleEditor
	if n, has := f["name"]; has {
		p.Name, need = &n, trains.RoleOwner
	}
	if err := h.need(c, id, need); err != nil {
		h.apiFail(c, err)
		return
	}
	if s, has := f["isRunning"]; has {
		b, ok := parseBool(c, s, "isRunning")
		if !ok {
			return
		}
		p.Running = &b
	}
	if _, err := h.store.UpdateTrain(c.Request.Context(), id, p); err != nil {
		h.apiFail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// PUT /api/train {trainId?, name, isRunning?}: create → 201 with the train.
func (h *Handler) apiCreateTrain(c *gin.Context) {
	f, ok := apiBody(c)
	if !ok {
		return
	}
	nt := trains.NewTrain{Name: f["name"], Owner: owner(c)}
	if s := f["trainId"]; s != "" {
		if nt.ID, ok = parseID(c, s, "trainId"); !ok {
			return
		}
	}
	if s, has := f["isRunning"]; has {
		if nt.Running, ok = parseBool(c, s, "isRunning"); !ok {
			return
		}
	}
	t, err := h.store.CreateTrain(c.Request.Context(), nt)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toAPITrain(t))
}

// POST /api/car {carId, trainId}: move a car to the end of another train.
func (h *Handler) apiMoveCar(c *gin.Context) {
	f, car, ok := apiBodyID(c, "carId")
	if !ok {
		return
	}
	train, ok := parseID(c, f["trainId"], "trainId")
	if !ok {
		return
	}
	err := h.needCar(c, car, trains.RoleEditor)
	if err == nil {
		err = h.need(c, train, trains.RoleEditor)
	}
	if err != nil {
		h.apiFail(c, err)
		return
	}
	if err := h.store.MoveCar(c.Request.Context(), car, train, 0); err != nil {
		h.apiFail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
