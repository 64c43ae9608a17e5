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
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/trains"
)

// MaxBody is the largest webhook body accepted (413 above).
const MaxBody = 64 << 10

// KeyHeader carries the webhook key when the URL does not.
const KeyHeader = "X-Webhook-Key"

// pushKey is the key a push carries, in the URL or the header.
func pushKey(c *gin.Context) string {
	if k := c.Query("key"); k != "" {
		return k
	}
	return c.GetHeader(KeyHeader)
}

// legacyOK reports whether k is the legacy shared key (WEBHOOK_KEY),
// compared in constant time (both hashed, so the length does not leak).
func (h *Handler) legacyOK(k string) bool {
	if h.cfg.WebhookKey == "" || k == "" {
		return false
	}
	sum := sha256.Sum256([]byte(k))
	return subtle.ConstantTimeCompare(sum[:], h.keySum[:]) == 1
}

// pushTrain says which train a push key opens: a train's own token gives
// that train, the legacy shared key 0 (every train).
func (h *Handler) pushTrain(k string) (train int64, legacy, ok bool) {
	if h.legacyOK(k) {
		return 0, true, true
	}
	train, ok = h.store.TokenTrain(k)
	return train, false, ok
}

func plain(c *gin.Context, status int, msg string) {
	c.Data(status, "text/plain; charset=utf-8", []byte(msg+"\n"))
}

// trigger is the Thing+ dataPush webhook: POST /api/trigger/:sensorId/:type
// (the body may carry the dataPush JSON, whose "event" de-duplicates) and
// POST /api/trigger with {sensorId, type[, event]} as JSON or a form. The
// key (?key= or X-Webhook-Key) is a train's token, which counts only that
// train's sensors, or the legacy shared key.
// 204 applied (also a duplicate or an OUT clamped at zero; the
// X-Push-Outcome header says which); 400 bad type or
// unknown sensor; 401 bad key; 403 another train's sensor; 413 body over
// 64 KiB; 429 (Retry-After) when one address causes more than WEBHOOK_RATE
// refusals a second.
func (h *Handler) trigger(c *gin.Context) {
	ctx := c.Request.Context()
	pathSensor, pathType := c.Param("sensorId"), c.Param("type")
	train, legacy, ok := h.pushTrain(pushKey(c))
	if !ok {
		// Logged with what the URL names; the body of an unauthenticated
		// request is not read.
		h.refuse(c, trains.Rejected{SensorID: pathSensor, Type: pathType, Outcome: trains.OutcomeBadKey, Reason: "missing or wrong webhook key"},
			http.StatusUnauthorized, "missing or wrong webhook key")
		return
	}
	if c.Request.ContentLength > MaxBody {
		h.refuse(c, invalid(pathSensor, pathType, "body over 64 KiB"), http.StatusRequestEntityTooLarge, "body over 64 KiB")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.refuse(c, invalid(pathSensor, pathType, "body over 64 KiB"), http.StatusRequestEntityTooLarge, "body over 64 KiB")
			return
		}
		plain(c, http.StatusBadRequest, "could not read body")
		return
	}
	p, err := ParsePush(pathSensor, pathType, c.GetHeader("Content-Type"), body)
	if err != nil {
		h.refuse(c, invalid(p.SensorID, string(p.Type), trains.MessageOf(err)), http.StatusBadRequest, trains.MessageOf(err))
		return
	}
	p.TrainID = train
	res, err := h.store.Apply(ctx, p)
	if web.ClientGone(c) {
		// The outcome below is still the truth; only nobody reads it.
		h.cfg.Log.InfoContext(ctx, "trains: client went away", "stored", err == nil, "err", err)
	}
	switch {
	case err == nil:
		if legacy {
			h.legacy.mark(res.Event.TrainID, h.cfg.Now())
		}
		// What the database did (applied, clamped, duplicate): senders and
		// tests can add up the counts without reading the event log.
		c.Header("X-Push-Outcome", string(res.Outcome))
		web.Quiet(c) // the event log has it
		c.Status(http.StatusNoContent)
	case errors.Is(err, trains.ErrWrongTrain):
		h.cfg.Log.WarnContext(ctx, "trains: push token of another train", "train", train, "sensor", p.SensorID, "addr", c.RemoteIP())
		h.refuse(c, trains.Rejected{SensorID: p.SensorID, Type: string(p.Type), EventKey: p.EventKey, Outcome: trains.OutcomeWrongTrain,
			Reason: fmt.Sprintf("token of train %d", train)}, http.StatusForbidden, "this sensor is not on this token's train")
	case errors.Is(err, trains.ErrUnknownSensor):
		plain(c, http.StatusBadRequest, "no car holds this sensor")
	case errors.Is(err, trains.ErrInvalid):
		plain(c, http.StatusBadRequest, trains.MessageOf(err))
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

func invalid(sensor, typ, reason string) trains.Rejected {
	return trains.Rejected{SensorID: sensor, Type: typ, Outcome: trains.OutcomeInvalid, Reason: reason}
}

// refuse answers a refused push: counted (the event log takes a bounded
// number per minute), then status with msg — or 429 with Retry-After when
// its address causes more than WEBHOOK_RATE refusals a second. The source
// address is the connection's (X-Forwarded-For is not trusted here: a
// flooder would make up a new one per request).
func (h *Handler) refuse(c *gin.Context, r trains.Rejected, status int, msg string) {
	if limited, wait := h.limiter.refuse(c.RemoteIP()); limited {
		r.Outcome, r.Reason = trains.OutcomeRateLimited, "over WEBHOOK_RATE refused pushes a second from one address"
		h.logRejected(c, r)
		c.Header("Retry-After", strconv.Itoa(max(1, int((wait+time.Second-1)/time.Second))))
		h.tarpit(c)
		plain(c, http.StatusTooManyRequests, "too many refused pushes; retry later")
		return
	}
	h.logRejected(c, r)
	plain(c, status, msg)
}

func (h *Handler) logRejected(c *gin.Context, r trains.Rejected) {
	if err := h.store.LogRejected(c.Request.Context(), r); err != nil {
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
		return p, trains.Invalid("sensorId is required")
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
		return p, trains.Invalid(fmt.Sprintf("event must be at most %d printable characters", trains.MaxEventKeyLen))
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
		// Raw values, not a map of any: no boxing, and a number stays as
		// written without a json.Number per field (thousands a second).
		var m map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &m); err != nil || m == nil {
			return nil, trains.Invalid("body is not a JSON object")
		}
		for k, v := range m {
			switch v[0] {
			case '"':
				var str string
				if json.Unmarshal(v, &str) == nil {
					out[k] = str
				}
			case '{', '[', 'n': // nested, or null
			default: // a number, true or false, as written
				out[k] = string(v)
			}
		}
		return out, nil
	}
	q, err := url.ParseQuery(string(trimmed))
	if err != nil {
		return nil, trains.Invalid("body is not a form")
	}
	for k, v := range q {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out, nil
}

// tarpit holds the answer to a flooding address for a while: a client that
// waits for its answers (most scripts do) then sends a few refused pushes
// a second per connection instead of thousands, leaving the CPU to the
// valid pushes. At most maxTarpits answers wait at once; beyond that the
// connection is closed after the answer instead.
func (h *Handler) tarpit(c *gin.Context) {
	if h.cfg.TarpitDelay <= 0 {
		return
	}
	select {
	case h.tarpits <- struct{}{}:
	default:
		c.Header("Connection", "close")
		return
	}
	defer func() { <-h.tarpits }()
	t := time.NewTimer(h.cfg.TarpitDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.Request.Context().Done():
	}
}

// maxTarpits bounds the refused pushes held back at once.
const maxTarpits = 1024
