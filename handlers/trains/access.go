package trains

import (
	"errors"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/trains"
)

// Access checks. Every trains route names a train, a car or a door sensor;
// before anything is read or changed the route asks the store what the
// signed-in account may do with the train behind it. Another account's
// train answers 404 (not found: ids cannot be probed), a change a viewer
// may not make answers 403 with the reason.

// principal is the signed-in account asking ("" ids for nobody).
func principal(c *gin.Context) trains.Principal {
	u, _ := web.UserOf(c)
	return trains.Principal{UserID: u.ID, LoginID: u.LoginID}
}

// owner is the signed-in account as a train's owner, with its Thing+ zone.
func owner(c *gin.Context) trains.Owner {
	u, _ := web.UserOf(c)
	return trains.Owner{ID: u.ID, Login: u.LoginID, Zone: u.Timezone}
}

// scope finds the train a request is about, from its :id path parameter.
type scope func(h *Handler, c *gin.Context, id int64) (int64, error)

func trainScope(_ *Handler, _ *gin.Context, id int64) (int64, error) { return id, nil }

func carScope(h *Handler, c *gin.Context, id int64) (int64, error) {
	return h.store.TrainOfCar(c.Request.Context(), id)
}

// need checks that the signed-in account has at least role on train.
func (h *Handler) need(c *gin.Context, train int64, role trains.Role) error {
	_, err := h.store.Authorize(c.Request.Context(), principal(c), train, role)
	return err
}

// needCar checks role on the train holding car.
func (h *Handler) needCar(c *gin.Context, car int64, role trains.Role) error {
	train, err := h.store.TrainOfCar(c.Request.Context(), car)
	if err != nil {
		return err
	}
	return h.need(c, train, role)
}

// needSensor checks role on the train whose car holds sensor; a sensor no
// visible car holds is not found.
func (h *Handler) needSensor(c *gin.Context, sensor string, role trains.Role) error {
	train, err := h.store.TrainOfSensor(c.Request.Context(), sensor)
	if errors.Is(err, trains.ErrUnknownSensor) {
		return &trains.Error{Kind: trains.ErrNotFound, Msg: "sensor " + strconv.Quote(sensor)}
	}
	if err != nil {
		return err
	}
	return h.need(c, train, role)
}

// guard wraps a handler of a /…/:id route: it answers 404 or 403 through
// the shared error convention unless the account has role on the train
// the id leads to (by sc).
func (h *Handler) guard(sc scope, role trains.Role, next gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := pathID(c)
		if !ok {
			return
		}
		train, err := sc(h, c, id)
		if err == nil {
			err = h.need(c, train, role)
		}
		if err != nil {
			web.Fail(c, err)
			c.Abort()
			return
		}
		next(c)
	}
}
