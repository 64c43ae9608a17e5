package thingplus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

var errBadText = errors.New("text: invalid JSON value")

// Sensor is a sensor or actuator of a gateway (§5.6). Status and Series hold
// only leaf ids unless embedded (embed=status|series).
type Sensor struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Owner        string          `json:"owner"` // gateway id
	DeviceID     string          `json:"deviceId"`
	Type         string          `json:"type"`     // sensorType id
	Category     string          `json:"category"` // "sensor" or "actuator"
	Network      string          `json:"network"`
	DriverName   string          `json:"driverName"`
	Model        Str             `json:"model"`
	Sequence     Str             `json:"sequence"`
	Address      Str             `json:"address"`
	Virtual      Flag            `json:"virtual"`
	Delegate     Flag            `json:"delegate"`
	DelegateInfo json.RawMessage `json:"delegateInfo"`
	Options      json.RawMessage `json:"options"`
	Status       *Status         `json:"status"`
	Series       *SeriesLeaf     `json:"series"`
	Ctime        Millis          `json:"ctime"`
	Mtime        Millis          `json:"mtime"`
}

// Sensors lists a gateway's sensors (q.Embed: "status", "series";
// q.Series for the embedded range).
func (c *Client) Sensors(ctx context.Context, token, gatewayID string, q Query) ([]Sensor, error) {
	p, err := idPath("GET /gateways/{id}/sensors", "/gateways/", gatewayID)
	if err != nil {
		return nil, err
	}
	var out []Sensor
	err = c.Call(ctx, Request{Method: http.MethodGet, Path: p + "/sensors", Query: q.Values(), Token: token}, &out, nil)
	return out, err
}

// Sensor returns one sensor.
func (c *Client) Sensor(ctx context.Context, token, gatewayID, id string, q Query) (Sensor, error) {
	p, err := sensorPath("GET /gateways/{gw}/sensors/{id}", gatewayID, id)
	if err != nil {
		return Sensor{}, err
	}
	var s Sensor
	err = c.Call(ctx, Request{Method: http.MethodGet, Path: p, Query: q.Values(), Token: token}, &s, nil)
	return s, err
}

// SensorStatus returns a sensor's status leaf.
func (c *Client) SensorStatus(ctx context.Context, token, gatewayID, id string) (Status, error) {
	p, err := sensorPath("GET /gateways/{gw}/sensors/{id}/status", gatewayID, id)
	if err != nil {
		return Status{}, err
	}
	return c.statusAt(ctx, token, p+"/status")
}

func sensorPath(op, gatewayID, id string) (string, error) {
	p, err := idPath(op, "/gateways/", gatewayID)
	if err != nil {
		return "", err
	}
	return idPath(op, p+"/sensors/", id)
}

// SensorType describes a kind of sensor: its unit and how to show values (§5.13).
type SensorType struct {
	ID            string      `json:"id"`
	Category      string      `json:"category"` // sensor | actuator
	Type          string      `json:"type"`     // number | string | boolean | object
	Unit          string      `json:"unit"`
	DecimalPlace  Int         `json:"decimalPlace"` // Thing+ sends "1"; 1 is accepted too
	Minimum       Text        `json:"minimum"`      // deprecated by range, a string on the wire ("-273")
	Maximum       Text        `json:"maximum"`
	Range         *ValueRange `json:"range"`
	Values        []Text      `json:"values"`
	DisplayValues []Text      `json:"displayValues"`
	Chart         *ChartHints `json:"chart"`
}

// ValueRange is a sensor type's range; Thing+ sends numbers, but strings
// are accepted as for the fields it replaces.
type ValueRange struct {
	Min      Text `json:"min"`
	Max      Text `json:"max"`
	Interval Text `json:"interval"`
}

// Bounds is the type's lowest and highest value, from range or else from the
// deprecated minimum/maximum; ok is false for a bound that is not given.
func (t SensorType) Bounds() (lo float64, loOK bool, hi float64, hiOK bool) {
	lo, loOK = t.Minimum.Float()
	hi, hiOK = t.Maximum.Float()
	if t.Range != nil {
		if v, ok := t.Range.Min.Float(); ok {
			lo, loOK = v, true
		}
		if v, ok := t.Range.Max.Float(); ok {
			hi, hiOK = v, true
		}
	}
	return lo, loOK, hi, hiOK
}

// ChartHints is a sensor type's advice for charts.
type ChartHints struct {
	Drawable     Flag   `json:"drawable"`
	DataType     string `json:"dataType"` // "series" or "event"
	Cumulative   Flag   `json:"cumulative"`
	IntervalFunc string `json:"intervalFunc"`
}

// Display maps a raw value to its display text (onoff "1" → "on"), or
// returns it unchanged.
func (t SensorType) Display(v string) string {
	for i, x := range t.Values {
		if string(x) == v && i < len(t.DisplayValues) {
			return string(t.DisplayValues[i])
		}
	}
	return v
}

// GatewayModel is a kind of gateway (§5.13); the page shows DisplayName.
type GatewayModel struct {
	ID             Str                `json:"id"`
	Model          string             `json:"model"`
	DisplayName    string             `json:"displayName"`
	Vendor         Text               `json:"vendor"`
	IDFormat       string             `json:"idFormat"`
	ReportInterval Str                `json:"reportInterval"`
	DeviceModels   []DeviceModelEntry `json:"deviceModels"`
}

// DeviceModelEntry is a device model a gateway model offers.
type DeviceModelEntry struct {
	ID          Str    `json:"id"`
	DisplayName string `json:"displayName"`
	IDTemplate  string `json:"idTemplate"`
	Max         Int    `json:"max"`
}

// SensorTypes lists every sensor type (no sign-in needed).
func (c *Client) SensorTypes(ctx context.Context) ([]SensorType, error) {
	var out []SensorType
	err := c.Call(ctx, Request{Method: http.MethodGet, Path: "/sensorTypes"}, &out, nil)
	return out, err
}

// GatewayModels lists every gateway model (no sign-in needed).
func (c *Client) GatewayModels(ctx context.Context) ([]GatewayModel, error) {
	var out []GatewayModel
	err := c.Call(ctx, Request{Method: http.MethodGet, Path: "/gatewayModels"}, &out, nil)
	return out, err
}

// Int is an integer Thing+ sends as a number or a string.
type Int int64

func (n *Int) UnmarshalJSON(b []byte) error {
	v, err := parseIntish(b)
	if err != nil {
		return err
	}
	*n = Int(v)
	return nil
}

// Text is any JSON scalar or structure kept as text: strings as they are,
// numbers and booleans as written, objects and arrays as compact JSON.
type Text string

func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*t = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
	case b[0] == '{' || b[0] == '[':
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return err
		}
		*t = Text(buf.String())
	default:
		if !json.Valid(b) {
			return errBadText
		}
		*t = Text(b)
	}
	return nil
}

func (t Text) String() string { return string(t) }

// Float parses the text as a number.
func (t Text) Float() (float64, bool) {
	f, err := strconv.ParseFloat(string(t), 64)
	if err != nil || isNaNOrInf(f) {
		return 0, false
	}
	return f, true
}
