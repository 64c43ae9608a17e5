package thingplus

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// TimelineEntry is one rule firing (§5.11). Message is HTML written by
// Thing+: never render it as HTML (see Text).
type TimelineEntry struct {
	ID       string         `json:"id"`
	Type     string         `json:"type"` // trigger agent, e.g. sensorValue
	Node     []TimelineNode `json:"node"`
	Rule     TimelineRule   `json:"rule"`
	Checked  Flag           `json:"checked"`
	Success  Flag           `json:"success"`
	Severity Severity       `json:"severity"`
	Message  string         `json:"message"`
	Time     Millis         `json:"time"`
	Event    string         `json:"event"` // "<sensorId>:<time>"
	// Value is the sensor value that fired the rule when Thing+ sends it
	// (the sandbox does; the v1 example does not). See FiredValue.
	Value Str `json:"value,omitempty"`
}

// TimelineNode is a thing the entry is about (a sensor, a gateway).
type TimelineNode struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// TimelineRule names the rule that fired: what = action agent, when = trigger type.
type TimelineRule struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	What string `json:"what"`
	When string `json:"when"`
}

// Sensor is the id of the first sensor node ("" when none).
func (e TimelineEntry) Sensor() string {
	for _, n := range e.Node {
		if n.Type == "sensor" {
			return n.ID
		}
	}
	return ""
}

// TimelineQuery selects timeline entries. MaxID is inclusive, SinceID
// exclusive (Twitter-style); Count 0 means Thing+'s default.
type TimelineQuery struct {
	MaxID    string
	SinceID  string
	Severity []Severity
	Count    int
}

func (q TimelineQuery) values() url.Values {
	v := url.Values{}
	if q.MaxID != "" {
		v.Set("maxId", q.MaxID)
	}
	if q.SinceID != "" {
		v.Set("sinceId", q.SinceID)
	}
	for _, s := range q.Severity {
		v.Add("filter[severity]", string(s))
	}
	if q.Count > 0 {
		v.Set("count", strconv.Itoa(q.Count))
	}
	return v
}

// TimelinePage is one page of the timeline, newest first, and its _meta.
type TimelinePage struct {
	Entries []TimelineEntry
	Meta    Meta
}

// Timelines lists rule firings, newest first.
func (c *Client) Timelines(ctx context.Context, token string, q TimelineQuery) (TimelinePage, error) {
	var p TimelinePage
	err := c.Call(ctx, Request{Method: http.MethodGet, Path: "/timelines", Query: q.values(), Token: token}, &p.Entries, &p.Meta)
	return p, err
}
