package trains

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/trains"
)

// MaxBody is the largest webhook body accepted (413 above).
const MaxBody = 64 << 10

// KeyHeader carries the webhook key when the URL does not.
const KeyHeader = "X-Webhook-Key"

// keyOK compares the request's key with the configured one in constant
// time (both hashed, so the length does not leak either).
func (h *Handler) keyOK(c *gin.Context) bool {
	if h.cfg.WebhookKey == "" {
		return false
	}
	k := c.Query("key")
	if k == "" {
		k = c.GetHeader(KeyHeader)
	}
	if k == "" {
		return false
	}
	sum := sha256.Sum256([]byte(k))
	return subtle.ConstantTimeCompare(sum[:], h.keySum[:]) == 1
}

func plain(c *gin.Context, status int, msg string) {
	c.Data(status, "text/plain; charset=utf-8", []byte(msg+"\n"))
}

// trigger is the Thing+ dataPush webhook: POST /api/trigger/:sensorId/:type
// (the body may carry the dataPush JSON, whose "event" de-duplicates) and
// POST /api/trigger with {sensorId, type[, event]} as JSON or a form.
// 204 applied (also a duplicate or an OUT clamped at zero); 400 bad type or
// unknown sensor; 401 bad key; 413 body over 64 KiB.
func (h *Handler) trigger(c *gin.Context) {
	ctx := c.Request.Context()
	pathSensor, pathType := c.Param("sensorId"), c.Param("type")
	if !h.keyOK(c) {
		// Logged with what the URL names; the body of an unauthenticated
		// request is not read.
		if err := h.store.LogRejected(ctx, trains.Rejected{SensorID: pathSensor, Type: pathType, Outcome: trains.OutcomeBadKey, Reason: "missing or wrong webhook key"}); err != nil {
			h.cfg.Log.WarnContext(ctx, "trains: log rejected push", "err", err)
		}
		plain(c, http.StatusUnauthorized, "missing or wrong webhook key")
		return
	}
	if c.Request.ContentLength > MaxBody {
		h.reject(c, pathSensor, pathType, "body over 64 KiB")
		plain(c, http.StatusRequestEntityTooLarge, "body over 64 KiB")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reject(c, pathSensor, pathType, "body over 64 KiB")
			plain(c, http.StatusRequestEntityTooLarge, "body over 64 KiB")
			return
		}
		plain(c, http.StatusBadRequest, "could not read body")
		return
	}
	p, err := ParsePush(pathSensor, pathType, c.GetHeader("Content-Type"), body)
	if err != nil {
		h.reject(c, p.SensorID, string(p.Type), message(err))
		plain(c, http.StatusBadRequest, message(err))
		return
	}
	_, err = h.store.Apply(ctx, p)
	if web.ClientGone(c) {
		// The outcome below is still the truth; only nobody reads it.
		h.cfg.Log.InfoContext(ctx, "trains: client went away", "stored", err == nil, "err", err)
	}
	switch {
	case err == nil:
		c.Status(http.StatusNoContent)
	case errors.Is(err, trains.ErrUnknownSensor):
		plain(c, http.StatusBadRequest, "no car holds this sensor")
	case errors.Is(err, trains.ErrInvalid):
		plain(c, http.StatusBadRequest, message(err))
	case errors.Is(err, trains.ErrClosed):
		plain(c, http.StatusServiceUnavailable, "shutting down")
	case web.ClientGone(c) && errors.Is(err, context.Canceled):
		// It went away before the push was queued: not stored, not an error.
		c.AbortWithStatus(web.StatusClientGone)
	default:
		h.cfg.Log.ErrorContext(ctx, "trains: push not stored", "err", err)
		plain(c, http.StatusServiceUnavailable, "push not stored; retry")
	}
}

func (h *Handler) reject(c *gin.Context, sensor, typ, reason string) {
	if err := h.store.LogRejected(c.Request.Context(), trains.Rejected{SensorID: sensor, Type: typ, Outcome: trains.OutcomeInvalid, Reason: reason}); err != nil {
		h.cfg.Log.WarnContext(c.Request.Context(), "trains: log rejected push", "err", err)
	}
}

// ParsePush reads a push from the path parameters (when sensorID is set) or
// from a JSON or form body with sensorId, type and optional event. On the
// path route the body is Thing+'s own dataPush JSON; only its "event" (the
// timeline id, used to de-duplicate) is read and a body that is not JSON is
// ignored. On error the returned Push holds what could be read, for the log.
func ParsePush(pathSensor, pathType, contentType string, body []byte) (trains.Push, error) {
	var sensor, typ, key string
	if pathSensor != "" || pathType != "" {
		sensor, typ = pathSensor, pathType
		if f, err := bodyFields(contentType, body); err == nil {
			key = f["event"]
		}
	} else {
		f, err := bodyFields(contentType, body)
		if err != nil {
			return trains.Push{}, err
		}
		sensor, typ, key = f["sensorId"], f["type"], f["event"]
	}
	p := trains.Push{SensorID: sensor, Type: trains.EventType(typ), EventKey: key}
	if sensor == "" {
		return p, fmt.Errorf("%w: sensorId is required", trains.ErrInvalid)
	}
	if err := trains.ValidSensorID(sensor); err != nil {
		return p, err
	}
	t, err := trains.ParseType(typ)
	if err != nil {
		return p, err
	}
	p.Type = t
	if len(key) > trains.MaxEventKeyLen || strings.IndexFunc(key, unicode.IsControl) >= 0 {
		return p, fmt.Errorf("%w: event must be at most %d printable characters", trains.ErrInvalid, trains.MaxEventKeyLen)
	}
	return p, nil
}

// bodyFields reads a flat JSON object or a urlencoded form into strings.
// JSON numbers are kept as written (the original app used integer sensor
// ids); nested values are skipped.
func bodyFields(contentType string, body []byte) (map[string]string, error) {
	out := map[string]string{}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return out, nil
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/json" || strings.HasSuffix(mt, "+json") || (mt != "application/x-www-form-urlencoded" && trimmed[0] == '{') {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("%w: body is not a JSON object", trains.ErrInvalid)
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				out[k] = v
			case json.Number:
				out[k] = v.String()
			case bool:
				out[k] = strconv.FormatBool(v)
			}
		}
		return out, nil
	}
	q, err := url.ParseQuery(string(trimmed))
	if err != nil {
		return nil, fmt.Errorf("%w: body is not a form", trains.ErrInvalid)
	}
	for k, v := range q {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out, nil
}
